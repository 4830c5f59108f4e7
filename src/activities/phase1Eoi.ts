// The first stage over EOI SOAP, early firmware (before AMT 6; docs/amt-protocol.md section 5):
// CertStore makes the key pair and a PKCS#10 request the site CA signs; the CA chain is stored
// with the certificate so the device can present it.
import { X509Certificate } from 'node:crypto';
import type { DigestSession } from '../amt/digestClient';
import { AmtStatusError } from '../amt/errors';
import { EoiClients } from '../amt/soapClients';
import { PT_STATUS } from '../contract/ptStatus';
import type { DeviceKeySource, IssuedDeviceCertificate } from '../pki/deviceCertificate';
import type { DeviceCertificateAuthority, Phase1Dialect } from './phase1Dialect';

/**
 * Makes a key pair on the device (CertStore), has the site CA certify its PKCS#10 request and
 * stores the CA chain and the certificate, so the device can present the chain with it; returns
 * the handles for SetTLSKeyAndCertificate. Shared with certificate renewal (tlsRenewalDialects.ts).
 */
export async function certifyDeviceKey(eoi: EoiClients, fqdn: string, issue: (key: DeviceKeySource) => Promise<IssuedDeviceCertificate>): Promise<{ keyPair: number; certificate: number; issued: IssuedDeviceCertificate }> {
  const keyPair = await eoi.generateKeyPair();
  const issued = await issue({ csrDer: await eoi.getPkcs10Request(keyPair, `CN=${fqdn}`) });
  for (const pem of [...issued.chainPem].reverse()) {
    try {
      await eoi.addCertificate(new X509Certificate(pem).raw);
    } catch (err) {
      // A retried attempt (or a renewal) finds the CA certificates already stored.
      if (!(err instanceof AmtStatusError && err.status === PT_STATUS.DUPLICATE)) throw err;
    }
  }
  const certificate = await eoi.addCertificate(new X509Certificate(issued.certPem).raw);
  return { keyPair, certificate, issued };
}

async function installTlsCertificate(eoi: EoiClients, ca: DeviceCertificateAuthority): Promise<string> {
  const { keyPair, certificate, issued } = await certifyDeviceKey(eoi, ca.fqdn, (key) => ca.issue(key));
  await eoi.setTlsKeyAndCertificate(keyPair, certificate);
  await eoi.setTlsEnabled(true);
  return `TLS certificate issued for ${ca.fqdn} (sha256 ${issued.fingerprintSha256.slice(0, 16)}...)`;
}

export async function connectEoiDialect(session: DigestSession): Promise<Phase1Dialect> {
  const eoi = await EoiClients.connect(session);
  return {
    name: 'eoi-soap',
    provisioningState: () => eoi.getProvisioningState(),
    synchronizeClock: async (nowSeconds) => { await eoi.synchronizeClock(nowSeconds); },
    setHostAndDomainName: async (hostName, domainName) => {
      await eoi.setHostName(hostName);
      await eoi.setDomainName(domainName);
    },
    installTlsCertificate: (ca) => installTlsCertificate(eoi, ca),
    setAdminAclEntry: (username, password, realm) => eoi.setAdminAclEntry(username, password, realm),
    setMebxPassword: (password) => eoi.setMebxPassword(password),
    commitChanges: () => eoi.commitChanges(),
  };
}
