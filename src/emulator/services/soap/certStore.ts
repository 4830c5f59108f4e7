// CertStore EOI operations (seed step 7.3): the device makes its TLS key, signs a PKCS#10
// request with it, and stores the certificate the site CA issued.
import { PT_STATUS } from '../../../contract/ptStatus';
import { derBase64FromPem } from '../keyStoreRules';
import { refuse } from '../refusal';
import { addCertificate, generateKeyPair } from '../setupOperations';
import { eoiOperation, type EoiOperation } from './eoiOperation';

const DN_ATTRIBUTES = new Set(['CN', 'O', 'OU', 'L', 'ST', 'C']);

/**
 * "CN=pc1.example.com,O=Example" -> subject attributes. The emulator accepts the simple form
 * only (no escaped commas or quoted values), needs a CN, and each value 1-64 characters
 * (X.520 ub-common-name); anything else is INVALID_PARAMETER.
 */
export function parseSubjectDn(dn: string): { shortName: string; value: string }[] {
  const parts = dn.split(',').map((part) => part.trim());
  const subject = parts.map((part) => {
    const eq = part.indexOf('=');
    const shortName = part.slice(0, eq).trim().toUpperCase();
    const value = part.slice(eq + 1).trim();
    if (eq <= 0 || !DN_ATTRIBUTES.has(shortName)) refuse(PT_STATUS.INVALID_PARAMETER, `SubjectDN part "${part.slice(0, 40)}" is not one of ${[...DN_ATTRIBUTES].join(', ')}=value`);
    if (value.length === 0 || value.length > 64 || /[\\"+;<>=]/.test(value)) refuse(PT_STATUS.INVALID_PARAMETER, `SubjectDN ${shortName} value is empty, too long or needs escaping`);
    return { shortName, value };
  });
  if (!subject.some((a) => a.shortName === 'CN')) refuse(PT_STATUS.INVALID_PARAMETER, 'SubjectDN has no CN');
  return subject;
}

export const certStore: Record<string, EoiOperation> = {
  GenerateKeyPair: eoiOperation({
    args: { KeyAlgorithm: 'uint', KeyLength: 'uint' },
    emptyResponse: { KeyPairHandle: 0 },
    run: async ({ KeyAlgorithm, KeyLength }, fw) => ({ KeyPairHandle: (await generateKeyPair(fw, KeyAlgorithm, KeyLength)).handle }),
  }),

  GetPKCS10Request: eoiOperation({
    args: { KeyPairHandle: 'uint', SubjectDN: 'string' },
    emptyResponse: { CertificateRequest: '' },
    run: ({ KeyPairHandle, SubjectDN }, fw) => ({
      CertificateRequest: derBase64FromPem(fw.certificationRequest(KeyPairHandle, parseSubjectDn(SubjectDN))),
    }),
  }),

  AddCertificate: eoiOperation({
    args: { CertificateBlob: 'base64' },
    emptyResponse: { CertificateHandle: 0 },
    run: async ({ CertificateBlob }, fw) => ({ CertificateHandle: (await addCertificate(fw, CertificateBlob)).handle }),
  }),
};
