// Certificates in the device's store (AMT_PublicKeyCertificate via AMT_PublicKeyManagementService):
// seed step 8.4 deletes the old wireless/802.1X ones and adds the RADIUS root and the device's
// client certificate (its key pairs: wsmanSetup.ts).
import { child, escapeXml } from './deviceXml';
import { DeviceXmlRejected } from './errors';
import { referenceSelector, type WsmanClient, type WsmanInstance } from './wsmanClient';

const SERVICE = 'AMT_PublicKeyManagementService';

export async function enumeratePublicKeyCertificates(client: WsmanClient): Promise<WsmanInstance[]> {
  return client.enumerateClass('AMT_PublicKeyCertificate', client.amt.PublicKeyCertificate);
}

export async function deletePublicKeyCertificate(client: WsmanClient, instanceId: string): Promise<void> {
  await client.send(client.amt.PublicKeyCertificate.Delete({ name: 'InstanceID', value: escapeXml(instanceId) }), 'AMT_PublicKeyCertificate.Delete');
}

/** Adds a CA certificate (DER) as a trusted root; returns the new AMT_PublicKeyCertificate InstanceID. */
export async function addTrustedRootCertificate(client: WsmanClient, der: Buffer): Promise<string> {
  const output = await client.invoke(client.amt.PublicKeyManagementService.AddTrustedRootCertificate({ CertificateBlob: der.toString('base64') }), SERVICE, 'AddTrustedRootCertificate');
  return createdCertificateId(output, 'AddTrustedRootCertificate');
}

/** Adds a (client) certificate (DER) whose key the device holds; returns its InstanceID. */
export async function addCertificate(client: WsmanClient, der: Buffer): Promise<string> {
  const output = await client.invoke(client.amt.PublicKeyManagementService.AddCertificate({ CertificateBlob: der.toString('base64') }), SERVICE, 'AddCertificate');
  return createdCertificateId(output, 'AddCertificate');
}

/** The InstanceID selector of the CreatedCertificate endpoint reference. */
function createdCertificateId(output: WsmanInstance, method: string): string {
  const instanceId = referenceSelector(child(output, 'CreatedCertificate'), 'InstanceID');
  if (!instanceId) throw new DeviceXmlRejected(`${SERVICE}.${method}: no CreatedCertificate InstanceID in the answer`);
  return instanceId;
}
