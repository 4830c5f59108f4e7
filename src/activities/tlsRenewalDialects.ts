// The device side of certificate renewal (issue 11 item 2; docs/amt-protocol.md section 12), per
// firmware family: a new key pair made on the device, the site CA's certificate for it stored
// and bound to TLS. Modern firmware (AMT 6.2 on): AMT_PublicKeyManagementService.GenerateKeyPair,
// AddCertificate and a Put of the existing AMT_TLSCredentialContext; early firmware: the EOI
// CertStore calls and SetTLSKeyAndCertificate of phase 1. Removing what the new certificate
// supersedes is common to both (AMT_PublicKeyCertificate is served over WS-Man by every release).
import { X509Certificate } from 'node:crypto';
import type { DigestSession } from '../amt/digestClient';
import { AmtStatusError, DeviceXmlRejected } from '../amt/errors';
import { EoiClients } from '../amt/soapClients';
import { addCertificate, deletePublicKeyCertificate } from '../amt/wsmanCertificates';
import { WsmanClient } from '../amt/wsmanClient';
import {
  commitChanges, deleteKeyPair, enumerateKeyPairs, enumerateTlsCredentialContexts, generateKeyPair, switchTlsCredentialContext,
} from '../amt/wsmanSetup';
import { firmwareFamily, versionAtLeast, WSMAN_SETUP_SINCE } from '../contract/firmwareFamilies';
import { SERVER_AUTH_EKU_OID } from '../contract/oids';
import { PT_STATUS } from '../contract/ptStatus';
import type { DeviceKeySource, IssuedDeviceCertificate } from '../pki/deviceCertificate';
import { certifyDeviceKey } from './phase1Eoi';
import { storedCertificates } from './phase1Wsman';

/** Issues the successor for a key the device made and records it as pending, before the device receives it. */
export type IssueSuccessor = (key: DeviceKeySource) => Promise<IssuedDeviceCertificate>;

export interface TlsRenewalDialect {
  readonly name: 'ws-man' | 'eoi-soap';
  installSuccessor(fqdn: string, issue: IssueSuccessor): Promise<void>;
}

/**
 * MeshCentral's amtmanager.js commits after changing the TLS credential of a provisioned
 * device; the emulator applies post-provisioning changes at once and answers INVALID_PT_MODE
 * (a state that has nothing to commit). Either way the fresh TLS connection afterwards decides.
 */
async function commitIfAsked(commit: () => Promise<void>): Promise<void> {
  try {
    await commit();
  } catch (err) {
    if (!(err instanceof AmtStatusError && err.status === PT_STATUS.INVALID_PT_MODE)) throw err;
  }
}

function wsmanDialect(client: WsmanClient): TlsRenewalDialect {
  return {
    name: 'ws-man',
    async installSuccessor(_fqdn, issue) {
      const [context, ...others] = await enumerateTlsCredentialContexts(client);
      if (!context || others.length > 0) throw new DeviceXmlRejected(`AMT_TLSCredentialContext: expected the one context of a provisioned device, found ${others.length + (context ? 1 : 0)}`);
      const id = await generateKeyPair(client);
      const keyPair = (await enumerateKeyPairs(client)).find((pair) => pair.instanceId === id);
      if (!keyPair) throw new DeviceXmlRejected(`AMT_PublicPrivateKeyPair: the generated key pair ${id} is not listed`);
      const issued = await issue({ rsaPublicKeyDer: keyPair.rsaPublicKeyDer });
      const certificateId = await addCertificate(client, new X509Certificate(issued.certPem).raw);
      await switchTlsCredentialContext(client, context, certificateId);
      await commitIfAsked(() => commitChanges(client));
    },
  };
}

function eoiDialect(eoi: EoiClients): TlsRenewalDialect {
  return {
    name: 'eoi-soap',
    async installSuccessor(fqdn, issue) {
      const { keyPair, certificate } = await certifyDeviceKey(eoi, fqdn, issue);
      await eoi.setTlsKeyAndCertificate(keyPair, certificate);
      await commitIfAsked(() => eoi.commitChanges());
    },
  };
}

export async function connectTlsRenewalDialect(firmwareVersion: string, session: DigestSession): Promise<TlsRenewalDialect> {
  return firmwareFamily(firmwareVersion) === 'modern' ? wsmanDialect(new WsmanClient(session)) : eoiDialect(await EoiClients.connect(session));
}

/** A TLS server certificate (serverAuth) naming the FQDN: not a CA, not the 802.1X client certificate (clientAuth). */
function isTlsServerCertificateFor(der: Buffer, fqdn: string): boolean {
  const cert = new X509Certificate(der);
  return !cert.ca && (cert.keyUsage?.includes(SERVER_AUTH_EKU_OID) ?? false) && cert.checkHost(fqdn, { wildcards: false }) !== undefined;
}

/**
 * Deletes the device's TLS server certificates for this FQDN other than the one it serves (the renewed
 * one's predecessor, and those of interrupted attempts), then the key pairs no remaining
 * certificate uses. Roots, CA certificates, the 802.1X client certificate and other names stay. Key
 * pairs are a WS-Man class from AMT 6 only: early firmware keeps its old key (section 12).
 * Returns how many items went.
 */
export async function removeSupersededCredentials(session: DigestSession, firmwareVersion: string, fqdn: string, servedDer: Buffer): Promise<number> {
  const client = new WsmanClient(session);
  const certificates = await storedCertificates(client);
  const superseded = certificates.filter((cert) => !cert.trustedRoot && !cert.der.equals(servedDer) && isTlsServerCertificateFor(cert.der, fqdn));
  for (const cert of superseded) await deletePublicKeyCertificate(client, cert.instanceId);
  if (!versionAtLeast(firmwareVersion, WSMAN_SETUP_SINCE)) return superseded.length;
  const keysInUse = certificates.filter((cert) => !superseded.includes(cert))
    .map((cert) => new X509Certificate(cert.der).publicKey.export({ format: 'der', type: 'pkcs1' }));
  const unused = (await enumerateKeyPairs(client)).filter((pair) => !keysInUse.some((key) => key.equals(pair.rsaPublicKeyDer)));
  for (const pair of unused) await deleteKeyPair(client, pair.instanceId);
  return superseded.length + unused.length;
}
