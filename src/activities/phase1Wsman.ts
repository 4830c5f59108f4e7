// The first stage over WS-Management, modern firmware (AMT 6 on; docs/amt-protocol.md section 9).
// The TLS step first looks at what an interrupted attempt may have left (credential context,
// certificate, key pair) and keeps or replaces it, so nothing dangles in the device's store.
import { X509Certificate } from 'node:crypto';
import type { DigestSession } from '../amt/digestClient';
import { addCertificate, deletePublicKeyCertificate, enumeratePublicKeyCertificates } from '../amt/wsmanCertificates';
import { booleanProperty, stringProperty, WsmanClient } from '../amt/wsmanClient';
import { getSetupAndConfiguration } from '../amt/wsmanSettings';
import {
  commitChanges, createTlsCredentialContext, deleteKeyPair, deleteTlsCredentialContext, enumerateKeyPairs,
  enumerateTlsCredentialContexts, generateKeyPair, setAdminAclEntryEx, setHostAndDomainName, setMebxPassword, setNetworkTlsEnabled, synchronizeClock,
  type DeviceKeyPair, type TlsCredentialContext,
} from '../amt/wsmanSetup';
import { DeviceXmlRejected } from '../amt/errors';
import type { DeviceCertificateAuthority, Phase1Dialect } from './phase1Dialect';

export interface StoredCertificate {
  instanceId: string;
  der: Buffer;
  trustedRoot: boolean;
}

export interface TlsCredentialPlan {
  /** The certificate an earlier attempt bound to TLS, still good: nothing to install. */
  keep?: string;
  deleteContexts: TlsCredentialContext[];
  deleteCertificates: string[];
  /** An unused key pair to certify instead of generating one. */
  reuseKeyPair?: DeviceKeyPair;
  deleteKeyPairs: string[];
}

const publicKeyOf = (der: Buffer): Buffer => new X509Certificate(der).publicKey.export({ format: 'der', type: 'pkcs1' });

/**
 * What to do with the TLS credentials found on a device that is not yet committed. A context
 * whose certificate the site issued for this FQDN, still valid and with its key on the device,
 * is kept; any other context goes, and so do unbound certificates naming this FQDN. Key pairs
 * that no remaining certificate uses are left over from an attempt: one is reused, the rest
 * deleted. Certificates of other names and roots are not ours and stay.
 */
export function planTlsCredential(
  found: { contexts: TlsCredentialContext[]; certificates: StoredCertificate[]; keyPairs: DeviceKeyPair[] },
  ca: Pick<DeviceCertificateAuthority, 'fqdn' | 'accepts'>,
): TlsCredentialPlan {
  const hasKey = (cert: StoredCertificate): boolean => {
    const key = publicKeyOf(cert.der);
    return found.keyPairs.some((pair) => pair.rsaPublicKeyDer.equals(key));
  };
  const byId = new Map(found.certificates.map((cert) => [cert.instanceId, cert]));
  let keep: string | undefined;
  const deleteContexts: TlsCredentialContext[] = [];
  for (const context of found.contexts) {
    const cert = byId.get(context.certificateId);
    if (keep === undefined && cert && !cert.trustedRoot && ca.accepts(cert.der) && hasKey(cert)) keep = cert.instanceId;
    else deleteContexts.push(context);
  }
  const boundToKept = (cert: StoredCertificate): boolean => cert.instanceId === keep;
  const deleteCertificates = found.certificates
    .filter((cert) => !cert.trustedRoot && !boundToKept(cert) && new X509Certificate(cert.der).checkHost(ca.fqdn, { wildcards: false }) !== undefined)
    .map((cert) => cert.instanceId);
  const remainingKeys = found.certificates.filter((cert) => !deleteCertificates.includes(cert.instanceId)).map((cert) => publicKeyOf(cert.der));
  const unused = found.keyPairs.filter((pair) => !remainingKeys.some((key) => key.equals(pair.rsaPublicKeyDer)));
  const reuseKeyPair = keep === undefined ? unused[0] : undefined;
  return {
    ...(keep !== undefined ? { keep } : {}),
    deleteContexts,
    deleteCertificates,
    ...(reuseKeyPair ? { reuseKeyPair } : {}),
    deleteKeyPairs: unused.filter((pair) => pair !== reuseKeyPair).map((pair) => pair.instanceId),
  };
}

async function storedCertificates(client: WsmanClient): Promise<StoredCertificate[]> {
  return (await enumeratePublicKeyCertificates(client)).map((item) => {
    const instanceId = stringProperty(item, 'InstanceID');
    const der = stringProperty(item, 'X509Certificate');
    if (!instanceId || !der) throw new DeviceXmlRejected('AMT_PublicKeyCertificate.Pull: a certificate without InstanceID or X509Certificate');
    // "TrustedRootCertficate" (sic) is AMT's property name.
    return { instanceId, der: Buffer.from(der, 'base64'), trustedRoot: booleanProperty(item, 'TrustedRootCertficate') === true };
  });
}

async function installTlsCertificate(client: WsmanClient, ca: DeviceCertificateAuthority): Promise<string> {
  const plan = planTlsCredential({
    contexts: await enumerateTlsCredentialContexts(client),
    certificates: await storedCertificates(client),
    keyPairs: await enumerateKeyPairs(client),
  }, ca);
  // TLS in use by a context (staged by the interrupted attempt) keeps it from being deleted.
  if (plan.deleteContexts.length > 0) await setNetworkTlsEnabled(client, false);
  for (const context of plan.deleteContexts) await deleteTlsCredentialContext(client, context);
  for (const id of plan.deleteCertificates) await deletePublicKeyCertificate(client, id);
  for (const id of plan.deleteKeyPairs) await deleteKeyPair(client, id);
  let step: string;
  if (plan.keep !== undefined) {
    step = `TLS certificate for ${ca.fqdn} kept from an earlier attempt`;
  } else {
    let keyPair = plan.reuseKeyPair;
    if (!keyPair) {
      const id = await generateKeyPair(client);
      keyPair = (await enumerateKeyPairs(client)).find((pair) => pair.instanceId === id);
      if (!keyPair) throw new DeviceXmlRejected(`AMT_PublicPrivateKeyPair: the generated key pair ${id} is not listed`);
    }
    const issued = await ca.issue({ rsaPublicKeyDer: keyPair.rsaPublicKeyDer });
    const certificateId = await addCertificate(client, new X509Certificate(issued.certPem).raw);
    await createTlsCredentialContext(client, certificateId);
    step = `TLS certificate issued for ${ca.fqdn} (sha256 ${issued.fingerprintSha256.slice(0, 16)}...${plan.reuseKeyPair ? ', key pair of an earlier attempt' : ''})`;
  }
  await setNetworkTlsEnabled(client, true);
  const cleaned = plan.deleteContexts.length + plan.deleteCertificates.length + plan.deleteKeyPairs.length;
  return cleaned > 0 ? `${step}; removed ${cleaned} leftover(s) of an earlier attempt` : step;
}

export function connectWsmanDialect(session: DigestSession): Promise<Phase1Dialect> {
  const client = new WsmanClient(session);
  return Promise.resolve({
    name: 'ws-man',
    provisioningState: async () => (await getSetupAndConfiguration(client)).provisioningState,
    synchronizeClock: async (nowSeconds) => { await synchronizeClock(client, nowSeconds); },
    setHostAndDomainName: (hostName, domainName) => setHostAndDomainName(client, hostName, domainName),
    installTlsCertificate: (ca) => installTlsCertificate(client, ca),
    setAdminAclEntry: (username, password, realm) => setAdminAclEntryEx(client, username, password, realm),
    setMebxPassword: (password) => setMebxPassword(client, password),
    commitChanges: () => commitChanges(client),
  });
}
