// Certificates in phase 2 (seed step 8.4): AMT_PublicKeyCertificate (Enumerate / Get / Delete),
// AMT_PublicKeyManagementService AddCertificate / AddTrustedRootCertificate (how a server puts
// 802.1X and wireless certificates on the device) and, AMT 6 and later, GenerateKeyPair (the TLS
// key of phase 1 over WS-Man, docs/amt-protocol.md section 9), IPS_IEEE8021xSettings Get / Put
// and SetCertificates (wired 802.1X, what RPS does). Methods return PT_STATUS.
import crypto from 'node:crypto';
import { DEVICE_KEY_GENERATION_SINCE } from '../../../../contract/firmwareFamilies';
import { PT_STATUS } from '../../../../contract/ptStatus';
import type { Firmware } from '../../../firmware/firmware';
import type { WsmanInstance as StoredInstance } from '../../../firmware/types';
import { certificatePemFromBase64Der, derBase64FromPem } from '../../keyStoreRules';
import { refuse } from '../../refusal';
import { addCertificate as addStoreCertificate, generateKeyPair } from '../../setupOperations';
import { amtUri, ipsUri, serviceInstance, settingInstance, wsmanMethod, wsmanPut, type WsmanClass } from '../classModel';
import { WsmanFault } from '../faults';
import type { FieldSpecs, ReferenceInput } from '../fields';
import { endpointReference, type Properties } from '../response';

const CERTIFICATE = 'AMT_PublicKeyCertificate';
const CERTIFICATE_ID_PREFIX = 'Intel(r) AMT Certificate: Handle: ';
export const KEY_PAIR = 'AMT_PublicPrivateKeyPair';
/** AMT's InstanceID of a key pair (wsman-messages / rpc-go examples: "Intel(r) AMT Key: Handle: 0"). */
const KEY_PAIR_ID_PREFIX = 'Intel(r) AMT Key: Handle: ';

export const certificateInstanceId = (handle: number): string => `${CERTIFICATE_ID_PREFIX}${handle}`;
export const keyPairInstanceId = (handle: number): string => `${KEY_PAIR_ID_PREFIX}${handle}`;
export const keyPairHandleOf = (instanceId: string): number => Number(instanceId.slice(KEY_PAIR_ID_PREFIX.length));

/** The key store handle an AMT_PublicKeyCertificate reference names; refuses unknown ones. */
export function certificateHandleOf(fw: Firmware, ref: ReferenceInput, argument: string): number {
  const id = ref.selectors.get('InstanceID') ?? '';
  const handle = id.startsWith(CERTIFICATE_ID_PREFIX) ? Number(id.slice(CERTIFICATE_ID_PREFIX.length)) : NaN;
  if (ref.resourceUri !== amtUri(CERTIFICATE) || !Number.isInteger(handle)) refuse(PT_STATUS.INVALID_PARAMETER, `${argument} is not a reference to an AMT_PublicKeyCertificate`);
  if (!fw.state.keyStore.certificates.some((c) => c.handle === handle)) refuse(PT_STATUS.INVALID_HANDLE, `${argument} names no stored certificate`);
  return handle;
}

/** What uses a certificate (so it cannot be deleted), or null. */
export function certificateUse(fw: Firmware, handle: number): string | null {
  if (fw.state.tls.certificateHandle === handle || fw.settings().tlsCertificateHandle === handle) return 'the TLS server identity';
  const ieee = fw.state.ieee8021x?.properties;
  if (ieee && (ieee.ServerCertificateIssuer === handle || ieee.ClientCertificate === handle)) return 'the wired 802.1X settings';
  const profile = fw.state.wirelessProfiles.find((p) => p.properties.ClientCredential === handle || p.properties.CACredential === handle);
  return profile ? `wireless profile ${profile.instanceId}` : null;
}

function x509Name(text: string): string {
  return text.split('\n').join(',');
}

export const publicKeyCertificate: WsmanClass = {
  name: CERTIFICATE,
  resourceUri: amtUri(CERTIFICATE),
  instances: ({ fw }) =>
    fw.state.keyStore.certificates.map((entry) => {
      const cert = new crypto.X509Certificate(entry.pem);
      return settingInstance(certificateInstanceId(entry.handle), {
        ElementName: 'Intel(r) AMT Certificate',
        InstanceID: certificateInstanceId(entry.handle),
        X509Certificate: derBase64FromPem(entry.pem),
        TrustedRootCertficate: entry.isRoot, // sic: AMT's property name
        Issuer: x509Name(cert.issuer),
        Subject: x509Name(cert.subject),
        ReadOnlyCertificate: false,
      });
    }),
  delete: async ({ fw }, instance) => {
    const handle = Number(instance.keys.InstanceID.slice(CERTIFICATE_ID_PREFIX.length));
    const use = certificateUse(fw, handle);
    // AMT refuses to delete a certificate something still references (the emulator's fault choice).
    if (use) throw new WsmanFault('AccessDenied', `certificate ${handle} is in use by ${use}`);
    await fw.update((s) => {
      s.keyStore.certificates = s.keyStore.certificates.filter((c) => c.handle !== handle);
    });
  },
};

const KEY_MANAGEMENT = 'AMT_PublicKeyManagementService';

async function addCertificate(fw: Firmware, blob: string, mustBeRoot: boolean): Promise<Properties> {
  if (mustBeRoot) {
    const cert = new crypto.X509Certificate(certificatePemFromBase64Der(blob));
    if (!cert.ca || cert.subject !== cert.issuer || !cert.verify(cert.publicKey)) refuse(PT_STATUS.INVALID_CERT, 'not a self-signed CA certificate');
  }
  const entry = await addStoreCertificate(fw, blob);
  return { CreatedCertificate: endpointReference(amtUri(CERTIFICATE), { InstanceID: certificateInstanceId(entry.handle) }) };
}

export const publicKeyManagementService: WsmanClass = {
  name: KEY_MANAGEMENT,
  resourceUri: amtUri(KEY_MANAGEMENT),
  singleton: true,
  instances: () => [serviceInstance(KEY_MANAGEMENT, 'Intel(r) AMT Certificate Store Service')],
  methods: {
    AddCertificate: wsmanMethod({
      input: { CertificateBlob: { type: 'base64', required: true } },
      run: async ({ fw }, { CertificateBlob }) => ({ returnValue: PT_STATUS.SUCCESS, output: await addCertificate(fw, CertificateBlob, false) }),
    }),
    AddTrustedRootCertificate: wsmanMethod({
      input: { CertificateBlob: { type: 'base64', required: true } },
      run: async ({ fw }, { CertificateBlob }) => ({ returnValue: PT_STATUS.SUCCESS, output: await addCertificate(fw, CertificateBlob, true) }),
    }),
    /** The TLS key (7.3): same rules as EOI GenerateKeyPair; KeyPair = reference to the new AMT_PublicPrivateKeyPair (MeshCentral, RPS read its InstanceID selector). */
    GenerateKeyPair: wsmanMethod({
      input: { KeyAlgorithm: { type: 'uint', required: true }, KeyLength: { type: 'uint', required: true } },
      since: DEVICE_KEY_GENERATION_SINCE,
      run: async ({ fw }, { KeyAlgorithm, KeyLength }) => {
        const entry = await generateKeyPair(fw, KeyAlgorithm, KeyLength);
        return { returnValue: PT_STATUS.SUCCESS, output: { KeyPair: endpointReference(amtUri(KEY_PAIR), { InstanceID: keyPairInstanceId(entry.handle) }) } };
      },
    }),
  },
};

type WsmanInstanceProperties = StoredInstance['properties'];

const IEEE8021X = 'IPS_IEEE8021xSettings';
const IEEE8021X_ID = 'Intel(r) AMT: 8021X Settings';
/** IPS_IEEE8021xSettings.Enabled: 2 enabled, 3 disabled, 6 enabled without certificates (wsman-messages). */
const ENABLED_VALUES: ReadonlySet<number> = new Set([2, 3, 6]);
/** AuthenticationProtocol values AMT supports for wired 802.1X: EAP-TLS, EAP-TTLS/MSCHAPv2, PEAPv0/MSCHAPv2, PEAPv1/GTC, EAP-FAST/MSCHAPv2, EAP-FAST/GTC, EAP-FAST/TLS. */
export const SUPPORTED_EAP: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 5, 10]);
/** Write-only properties: kept by the device, never returned. */
const SECRET_PROPERTIES = new Set(['Password', 'PACPassword', 'PSK', 'ProtectedAccessCredential']);

/** The CIM_IEEE8021xSettings properties an 802.1X profile carries, wired (here) or wireless (AddWiFiSettings). */
export const IEEE8021X_PROFILE_FIELDS = {
  ElementName: { type: 'string' },
  InstanceID: { type: 'string' },
  AuthenticationProtocol: { type: 'uint' },
  RoamingIdentity: { type: 'string' },
  ServerCertificateName: { type: 'string' },
  ServerCertificateNameComparison: { type: 'uint' },
  Username: { type: 'string' },
  Password: { type: 'string' },
  Domain: { type: 'string' },
  ProtectedAccessCredential: { type: 'base64' },
  PACPassword: { type: 'string' },
  PSK: { type: 'base64' },
} as const satisfies FieldSpecs;

const ieee8021xFields = {
  ...IEEE8021X_PROFILE_FIELDS,
  Enabled: { type: 'uint', required: true },
  PxeTimeout: { type: 'uint' },
  AvailableInS0: { type: 'boolean' },
} as const satisfies FieldSpecs;

export const ieee8021xSettings: WsmanClass = {
  name: IEEE8021X,
  resourceUri: ipsUri(IEEE8021X),
  singleton: true,
  instances: ({ fw }) => {
    const stored = fw.state.ieee8021x?.properties ?? {};
    const visible = Object.fromEntries(Object.entries(stored).filter(([name]) => !SECRET_PROPERTIES.has(name) && name in ieee8021xFields));
    return [settingInstance(IEEE8021X_ID, { ElementName: IEEE8021X_ID, InstanceID: IEEE8021X_ID, Enabled: 3, ...visible })];
  },
  put: wsmanPut({
    fields: ieee8021xFields,
    apply: async ({ fw }, values) => {
      const bad = (reason: string): never => {
        throw new WsmanFault('InvalidRepresentation', reason, 'InvalidValues');
      };
      if (values.InstanceID !== undefined && values.InstanceID !== IEEE8021X_ID) bad('InstanceID is read-only');
      if (!ENABLED_VALUES.has(values.Enabled)) bad('Enabled must be 2, 3 or 6');
      if (values.Enabled !== 3 && (values.AuthenticationProtocol === undefined || !SUPPORTED_EAP.has(values.AuthenticationProtocol))) {
        bad('an enabled 802.1X setting needs a supported AuthenticationProtocol');
      }
      if (values.PxeTimeout !== undefined && values.PxeTimeout > 86_400) bad('PxeTimeout is at most 86400 seconds');
      const kept = fw.state.ieee8021x?.properties ?? {};
      const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>;
      await fw.update((s) => {
        // Certificates set by SetCertificates stay until replaced, or until 802.1X is disabled,
        // which releases them (rpc-go configure wired disables 802.1X, then deletes its certificates).
        const certificates = values.Enabled === 3 ? {}
          : Object.fromEntries(Object.entries(kept).filter(([name]) => name === 'ServerCertificateIssuer' || name === 'ClientCertificate'));
        s.ieee8021x = { instanceId: IEEE8021X_ID, properties: { ...given, InstanceID: IEEE8021X_ID, ...certificates } };
      });
    },
  }),
  methods: {
    SetCertificates: wsmanMethod({
      input: { ServerCertificateIssuer: { type: 'epr', required: true }, ClientCertificate: { type: 'epr' } },
      run: async ({ fw }, input) => {
        const issuer = certificateHandleOf(fw, input.ServerCertificateIssuer, 'ServerCertificateIssuer');
        if (!fw.state.keyStore.certificates.find((c) => c.handle === issuer)?.isRoot) refuse(PT_STATUS.INVALID_CERT, 'ServerCertificateIssuer must be a trusted root certificate');
        const client = input.ClientCertificate && certificateHandleOf(fw, input.ClientCertificate, 'ClientCertificate');
        if (client !== undefined && fw.state.keyStore.certificates.find((c) => c.handle === client)?.keyHandle === undefined) {
          refuse(PT_STATUS.PKI_MISSING_KEYS, 'the device holds no private key for ClientCertificate');
        }
        await fw.update((s) => {
          const properties: WsmanInstanceProperties = { ...(s.ieee8021x?.properties ?? { Enabled: 3 }), InstanceID: IEEE8021X_ID, ServerCertificateIssuer: issuer };
          if (client === undefined) delete properties.ClientCertificate;
          else properties.ClientCertificate = client;
          s.ieee8021x = { instanceId: IEEE8021X_ID, properties };
        });
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),
  },
};
