// Seed step 8.4 (ConfigMgr SP2): wireless profiles and wired 802.1X with their certificates.
// The seed removes "all certificates associated with wireless profiles or 802.1X wired network
// configuration", then stores the profiles and the 802.1X configuration. So every attempt first
// takes the device back to no profiles, wired 802.1X off and none of those certificates or keys,
// then adds what the settings say: each RADIUS root once, one client certificate per device
// (issued by the site CA for a key the device generated), the profiles. The device key of an
// earlier client certificate of ours is certified again rather than replaced, so re-runs and
// attempts interrupted half-way leave one client key; other keys no certificate carries are
// deleted where the firmware lists keys (AMT_PublicPrivateKeyPair, AMT 6 and later).
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { CIM } from '@device-management-toolkit/wsman-messages';
import { EoiClients } from '../amt/soapClients';
import { addCertificate, addTrustedRootCertificate, deletePublicKeyCertificate, enumeratePublicKeyCertificates } from '../amt/wsmanCertificates';
import { booleanProperty, stringProperty, type WsmanClient } from '../amt/wsmanClient';
import { deleteKeyPair, enumerateKeyPairs, generateKeyPair, type DeviceKeyPair } from '../amt/wsmanSetup';
import { addWiFiSettings, deleteAllWiFiItProfiles, detectWirelessPort, putIeee8021xSettings, setIeee8021xCertificates } from '../amt/wsmanWireless';
import { firmwareFamily } from '../contract/firmwareFamilies';
import { SERVER_AUTH_EKU_OID } from '../contract/oids';
import { issueDeviceCertificate, type DeviceKeySource } from '../pki/deviceCertificate';
import { pemToDer } from '../pki/x509';
import type { Computer } from '../site/computers';
import { CLIENT_AUTH_OID } from '../site/api/apiCertificates';
import type { SiteSettings } from '../site/settings';
import { IEEE8021X_PROTOCOLS, usesClientCertificate, WIFI_AUTHENTICATION, WIFI_ENCRYPTION } from '../site/settingsSchema';
import { auditStep } from './audit';
import type { ActivityDeps } from './deps';
import { revealSecret } from './secretScope';

type AmtSettings = SiteSettings['amt'];
type Ieee8021xProfile = NonNullable<AmtSettings['wired8021x']>;

/** IPS_IEEE8021xSettings.Enabled (wsman-messages): 2 enabled, 3 disabled. */
const ENABLED = 2;
const DISABLED = 3;
/** CIM_IEEE8021xSettings.ServerCertificateNameComparison: 2 FullName, 3 DomainSuffix. */
const NAME_COMPARISON = { FullName: 2, DomainSuffix: 3 } as const;

const spki = (key: KeyObject): string => key.export({ type: 'spki', format: 'der' }).toString('base64');
/** AMT_PublicPrivateKeyPair.DERKey is PKCS#1 RSAPublicKey (wsmanSetup.ts). */
const keyPairSpki = (pair: DeviceKeyPair): string => spki(createPublicKey({ key: pair.rsaPublicKeyDer, format: 'der', type: 'pkcs1' }));

interface KeptCertificate { instanceId: string; cert: X509Certificate; trustedRoot: boolean }
/** Node's name for the extended key usage OIDs; undefined when the certificate has none. */
const extendedKeyUsage = (cert: X509Certificate): string[] | undefined => cert.keyUsage;

/**
 * What phase 1 put there for TLS stays: the site CA chain and the device's TLS server
 * certificate (names the FQDN, serverAuth). The device's 802.1X client certificate names the
 * FQDN too but says clientAuth only, so it goes with the rest.
 */
function isTlsCertificate(siteChain: ReadonlySet<string>, cert: X509Certificate, fqdn: string): boolean {
  if (siteChain.has(cert.fingerprint256)) return true;
  const eku = extendedKeyUsage(cert);
  return cert.checkHost(fqdn) !== undefined && (eku === undefined || eku.includes(SERVER_AUTH_EKU_OID));
}

/** A client certificate this site issued to this device: its key is the device's own (generated there, proven when first certified). */
function isOurClientCertificate(issuingCa: X509Certificate | undefined, cert: X509Certificate, fqdn: string): boolean {
  return issuingCa !== undefined && cert.checkIssued(issuingCa) && cert.verify(issuingCa.publicKey)
    && (extendedKeyUsage(cert) ?? []).includes(CLIENT_AUTH_OID) && cert.checkHost(fqdn) !== undefined;
}

interface Removed { kept: KeptCertificate[]; certificates: number; keys: number; clientKey?: KeyObject }

/**
 * Deletes every certificate but the TLS ones, remembering the key of our earlier client
 * certificate; from AMT 6 also every key pair no remaining certificate carries but that one
 * (a key without a certificate serves nothing; rpc-go internal/certs/utils.go prunes the same).
 * Profiles and wired 802.1X must be gone first: AMT keeps what they reference.
 */
async function removeProfileCredentials(deps: ActivityDeps, wsman: WsmanClient, computer: Computer): Promise<Removed> {
  const ca = await deps.store.issuingCa.get();
  const issuingCa = ca ? new X509Certificate(ca.certPem) : undefined;
  const siteChain = new Set(ca ? [ca.certPem, ...ca.chainPem].map((pem) => new X509Certificate(pem).fingerprint256) : []);
  const removed: Removed = { kept: [], certificates: 0, keys: 0 };
  for (const entry of await enumeratePublicKeyCertificates(wsman)) {
    const instanceId = stringProperty(entry, 'InstanceID')!;
    const blob = stringProperty(entry, 'X509Certificate');
    const cert = blob ? new X509Certificate(Buffer.from(blob, 'base64')) : undefined;
    if (cert && isTlsCertificate(siteChain, cert, computer.fqdn)) {
      removed.kept.push({ instanceId, cert, trustedRoot: booleanProperty(entry, 'TrustedRootCertficate') === true }); // sic: AMT's property name
      continue;
    }
    if (cert && isOurClientCertificate(issuingCa, cert, computer.fqdn)) removed.clientKey = cert.publicKey;
    await deletePublicKeyCertificate(wsman, instanceId);
    removed.certificates += 1;
  }
  if (!listsKeyPairs(computer)) return removed;
  const carried = new Set(removed.kept.map((k) => spki(k.cert.publicKey)));
  const reused = removed.clientKey && spki(removed.clientKey);
  let reusedFound = false;
  for (const pair of await enumerateKeyPairs(wsman)) {
    const key = keyPairSpki(pair);
    if (key === reused) reusedFound = true;
    if (key === reused || carried.has(key)) continue;
    await deleteKeyPair(wsman, pair.instanceId);
    removed.keys += 1;
  }
  if (!reusedFound) delete removed.clientKey;
  return removed;
}

/** AMT_PublicPrivateKeyPair and WS-Man GenerateKeyPair come with AMT 6 (phase 1 over WS-Man); before, keys are made with EOI CertStore. */
const listsKeyPairs = (computer: Computer): boolean => firmwareFamily(computer.firmwareVersion ?? '0') === 'modern';

/** The certificate handles the profiles refer to: RADIUS roots by fingerprint, the client certificate. */
class ProfileCredentials {
  private readonly roots = new Map<string, string>();
  private client?: string;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly wsman: WsmanClient,
    private readonly computer: Computer,
    private readonly removed: Removed,
  ) {
    // A RADIUS root that is also a site root phase 1 stored is used as it is (adding it again is DUPLICATE).
    for (const k of removed.kept) if (k.trustedRoot) this.roots.set(k.cert.fingerprint256, k.instanceId);
  }

  async root(pem: string): Promise<string> {
    const fingerprint = new X509Certificate(pem).fingerprint256;
    let id = this.roots.get(fingerprint);
    if (id === undefined) {
      id = await addTrustedRootCertificate(this.wsman, pemToDer(pem));
      this.roots.set(fingerprint, id);
    }
    return id;
  }

  /**
   * A key the device generates: WS-Man GenerateKeyPair and the key pair's DERKey from AMT 6
   * (rpc-go configure tls, MeshCentral), EOI CertStore GenerateKeyPair + GetPKCS10Request before
   * (as phase 1 makes the TLS key; the device signs the request, so it proves it holds the key).
   */
  private async generateDeviceKey(): Promise<DeviceKeySource> {
    if (!listsKeyPairs(this.computer)) {
      const eoi = await EoiClients.connect(this.wsman.session);
      return { csrDer: await eoi.getPkcs10Request(await eoi.generateKeyPair(), `CN=${this.computer.fqdn}`) };
    }
    const keyPairId = await generateKeyPair(this.wsman);
    const pair = (await enumerateKeyPairs(this.wsman)).find((p) => p.instanceId === keyPairId);
    if (!pair) throw new Error(`the device lists no AMT_PublicPrivateKeyPair ${keyPairId} after generating it`);
    return { rsaPublicKeyDer: pair.rsaPublicKeyDer };
  }

  /** One per device for all its EAP-TLS profiles: site CA, clientAuth, CN and SAN = FQDN, for the device's key. */
  async clientCertificate(): Promise<string> {
    if (this.client !== undefined) return this.client;
    const reused = this.removed.clientKey;
    const key = reused ? { publicKeyPem: reused.export({ type: 'spki', format: 'pem' }).toString() } : await this.generateDeviceKey();
    const issued = issueDeviceCertificate(
      { fqdn: this.computer.fqdn, key, usage: 'clientAuth', ...(this.deps.now ? { now: this.deps.now() } : {}) },
      await this.deps.store.issuingCa.loadIssuer(),
    );
    this.client = await addCertificate(this.wsman, pemToDer(issued.certPem));
    await auditStep(this.deps, this.computer.uuid, 'provisioning.8021x-client-certificate', 'success', {
      fingerprintSha256: issued.fingerprintSha256, notAfter: issued.notAfter.toISOString(), deviceKey: reused ? 'reused' : 'generated',
    });
    return this.client;
  }
}

/** The CIM_IEEE8021xSettings properties of a profile (secrets revealed here, sent, never kept). */
async function ieee8021xProperties(deps: ActivityDeps, profile: Ieee8021xProfile): Promise<Record<string, string | number>> {
  return {
    AuthenticationProtocol: IEEE8021X_PROTOCOLS[profile.protocol],
    Username: profile.username,
    ...(profile.password ? { Password: await revealSecret(deps.store, profile.password) } : {}),
    ...(profile.domain ? { Domain: profile.domain } : {}),
    ...(profile.serverCertificateName
      ? { ServerCertificateName: profile.serverCertificateName, ServerCertificateNameComparison: NAME_COMPARISON[profile.serverCertificateNameComparison] }
      : {}),
  };
}

async function addWirelessProfiles(deps: ActivityDeps, wsman: WsmanClient, amt: AmtSettings, credentials: ProfileCredentials): Promise<void> {
  for (const profile of amt.wireless) {
    const ieee = profile.ieee8021x;
    await addWiFiSettings(wsman, 'WiFi Endpoint 0', {
      elementName: profile.profileName, ssid: profile.ssid, priority: profile.priority,
      authenticationMethod: WIFI_AUTHENTICATION[profile.authentication], encryptionMethod: WIFI_ENCRYPTION[profile.encryption],
      ...(profile.passphrase ? { pskPassphrase: await revealSecret(deps.store, profile.passphrase) } : {}),
    }, ieee && {
      settings: { ElementName: profile.profileName, ...(await ieee8021xProperties(deps, ieee)) } as unknown as CIM.Models.IEEE8021xSettings,
      caCredential: await credentials.root(ieee.radiusRootCertificate!),
      ...(usesClientCertificate(ieee.protocol) ? { clientCredential: await credentials.clientCertificate() } : {}),
    });
  }
}

async function enableWired8021x(deps: ActivityDeps, wsman: WsmanClient, profile: Ieee8021xProfile, credentials: ProfileCredentials): Promise<void> {
  await putIeee8021xSettings(wsman, { Enabled: ENABLED, ...(await ieee8021xProperties(deps, profile)) });
  if (profile.radiusRootCertificate === undefined) return;
  const root = await credentials.root(profile.radiusRootCertificate);
  await setIeee8021xCertificates(wsman, root, usesClientCertificate(profile.protocol) ? await credentials.clientCertificate() : undefined);
}

export async function configureNetworkAuthentication(deps: ActivityDeps, wsman: WsmanClient, amt: AmtSettings, computer: Computer): Promise<string[]> {
  const port = await detectWirelessPort(wsman);
  const hasRadio = port.wifiPorts.length > 0;
  // Release what holds certificates: the profiles, and wired 802.1X (rpc-go configure wired
  // disables it before pruning its certificates).
  if (hasRadio) await deleteAllWiFiItProfiles(wsman);
  await putIeee8021xSettings(wsman, { Enabled: DISABLED });
  const removed = await removeProfileCredentials(deps, wsman, computer);
  const steps = [`802.1X and wireless: old profiles deleted, ${removed.certificates} old certificate(s) and ${removed.keys} key pair(s) deleted`];

  const credentials = new ProfileCredentials(deps, wsman, computer, removed);
  if (amt.wireless.length > 0 && !hasRadio) steps.push('wireless: the device has no radio; profiles not added');
  if (amt.wireless.length > 0 && hasRadio) {
    await addWirelessProfiles(deps, wsman, amt, credentials);
    steps.push(`wireless: ${amt.wireless.length} profile(s) added (${amt.wireless.map((p) => p.ieee8021x?.protocol ?? p.authentication).join(', ')})`);
  }
  const wired = amt.wired8021x;
  if (wired) await enableWired8021x(deps, wsman, wired, credentials);
  steps.push(wired ? `wired 802.1X: ${wired.protocol} as ${wired.username}` : 'wired 802.1X: off');
  return steps;
}
