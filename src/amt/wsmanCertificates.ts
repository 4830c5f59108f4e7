// The device's key store (AMT_PublicKeyCertificate, AMT_PublicPrivateKeyPair via
// AMT_PublicKeyManagementService): seed step 8.4 deletes the old wireless/802.1X certificates
// and keys, adds the RADIUS root, has the device generate a key pair for its client certificate
// and adds that certificate.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { children, escapeXml, path, text } from './deviceXml';
import { DeviceXmlRejected } from './errors';
import { stringProperty, type WsmanClient, type WsmanInstance } from './wsmanClient';

const SERVICE = 'AMT_PublicKeyManagementService';

export async function enumeratePublicKeyCertificates(client: WsmanClient): Promise<WsmanInstance[]> {
  const certificates = client.amt.PublicKeyCertificate;
  return client.enumerateAll('AMT_PublicKeyCertificate', certificates.Enumerate(), (context) => certificates.Pull(context));
}

export async function deletePublicKeyCertificate(client: WsmanClient, instanceId: string): Promise<void> {
  await client.send(client.amt.PublicKeyCertificate.Delete({ name: 'InstanceID', value: escapeXml(instanceId) }), 'AMT_PublicKeyCertificate.Delete');
}

export async function enumeratePublicPrivateKeyPairs(client: WsmanClient): Promise<WsmanInstance[]> {
  const keyPairs = client.amt.PublicPrivateKeyPair;
  return client.enumerateAll('AMT_PublicPrivateKeyPair', keyPairs.Enumerate(), (context) => keyPairs.Pull(context));
}

/** AMT refuses while a certificate for the key is in use (wsman-messages AddKey: "A key cannot be removed if its corresponding certificate is referenced"). */
export async function deletePublicPrivateKeyPair(client: WsmanClient, instanceId: string): Promise<void> {
  await client.send(client.amt.PublicPrivateKeyPair.Delete({ name: 'InstanceID', value: escapeXml(instanceId) }), 'AMT_PublicPrivateKeyPair.Delete');
}

/** GenerateKeyPair(KeyAlgorithm 0 = RSA, KeyLength 2048), what RPS and rpc-go ask for; returns the AMT_PublicPrivateKeyPair InstanceID. */
export async function generateKeyPair(client: WsmanClient): Promise<string> {
  const output = await client.invoke(client.amt.PublicKeyManagementService.GenerateKeyPair({ KeyAlgorithm: 0, KeyLength: 2048 }), SERVICE, 'GenerateKeyPair');
  return referenceInstanceId(output, 'KeyPair', 'GenerateKeyPair');
}

/**
 * A key pair's public key from its DERKey (base64). AMT reports PKCS#1 RSAPublicKey on some
 * releases and SubjectPublicKeyInfo on others (rpc-go internal/certs/certs.go
 * ParseAMTPublicKey tries both; MeshCommander compares it with the PEM body minus the SPKI header).
 */
export function keyPairPublicKey(keyPair: WsmanInstance): KeyObject {
  const der = Buffer.from(stringProperty(keyPair, 'DERKey') ?? '', 'base64');
  for (const type of ['pkcs1', 'spki'] as const) {
    try {
      return createPublicKey({ key: der, format: 'der', type });
    } catch {
      // try the other form
    }
  }
  throw new DeviceXmlRejected(`AMT_PublicPrivateKeyPair ${stringProperty(keyPair, 'InstanceID') ?? '?'}: DERKey is not an RSA public key`);
}

/** Adds a CA certificate (DER) as a trusted root; returns the new AMT_PublicKeyCertificate InstanceID. */
export async function addTrustedRootCertificate(client: WsmanClient, der: Buffer): Promise<string> {
  const output = await client.invoke(client.amt.PublicKeyManagementService.AddTrustedRootCertificate({ CertificateBlob: der.toString('base64') }), SERVICE, 'AddTrustedRootCertificate');
  return referenceInstanceId(output, 'CreatedCertificate', 'AddTrustedRootCertificate');
}

/** Adds a (client) certificate (DER) whose key the device holds; returns its InstanceID. */
export async function addCertificate(client: WsmanClient, der: Buffer): Promise<string> {
  const output = await client.invoke(client.amt.PublicKeyManagementService.AddCertificate({ CertificateBlob: der.toString('base64') }), SERVICE, 'AddCertificate');
  return referenceInstanceId(output, 'CreatedCertificate', 'AddCertificate');
}

/** The InstanceID selector of an endpoint reference in a method's output (CreatedCertificate, KeyPair). */
function referenceInstanceId(output: WsmanInstance, reference: string, method: string): string {
  const selectors = path(output, reference, 'ReferenceParameters', 'SelectorSet');
  const selector = children(selectors, 'Selector').find((node) => typeof node === 'object' && !Array.isArray(node) && node['@Name'] === 'InstanceID');
  const instanceId = text(selector);
  if (!instanceId) throw new DeviceXmlRejected(`${SERVICE}.${method}: no ${reference} InstanceID in the answer`);
  return instanceId;
}
