// The first stage over EOI SOAP, early firmware (before AMT 6; docs/amt-protocol.md section 5):
// CertStore makes the key pair and a PKCS#10 request the site CA signs; the CA chain is stored
// with the certificate so the device can present it.
import { X509Certificate } from 'node:crypto';
import type { DigestSession } from '../amt/digestClient';
import { AmtStatusError } from '../amt/errors';
import { EoiClients } from '../amt/soapClients';
import { PT_STATUS } from '../contract/ptStatus';
import type { DeviceCertificateAuthority, Phase1Dialect } from './phase1Dialect';

async function installTlsCertificate(eoi: EoiClients, ca: DeviceCertificateAuthority): Promise<string> {
  const keyPair = await eoi.generateKeyPair();
  const csrDer = await eoi.getPkcs10Request(keyPair, `CN=${ca.fqdn}`);
  const issued = await ca.issue({ csrDer });
  // The CA chain first, so the device can present it with its certificate after commit.
  for (const pem of [...issued.chainPem].reverse()) {
    try {
      await eoi.addCertificate(new X509Certificate(pem).raw);
    } catch (err) {
      // A retried attempt finds the CA certificates already stored.
      if (!(err instanceof AmtStatusError && err.status === PT_STATUS.DUPLICATE)) throw err;
    }
  }
  const certificate = await eoi.addCertificate(new X509Certificate(issued.certPem).raw);
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
