// The TLS server identity of phase 1 over WS-Man (seed step 7.3, AMT 6 and later, docs/amt-protocol.md
// section 9, as MeshCentral amtprovisioningserver.js and RPS stateMachines/tls.ts drive it):
// AMT_PublicPrivateKeyPair (the generated keys), AMT_TLSCredentialContext (which certificate
// the TLS server uses: WS-Transfer Create, Delete) and AMT_TLSSettingData (TLS on the network
// and LMS interfaces). The selection and TLS Enabled are staged until CommitChanges like their
// EOI counterparts (../../setupOperations.ts); the key store is immediate.
import crypto from 'node:crypto';
import { WSMAN_SETUP_SINCE } from '../../../../contract/firmwareFamilies';
import { PT_STATUS } from '../../../../contract/ptStatus';
import { refuse } from '../../refusal';
import { selectTlsCredential, setTlsEnabled } from '../../setupOperations';
import { amtUri, settingInstance, wsmanCreate, wsmanPut, type WsmanClass, type WsmanInstance } from '../classModel';
import { badValue, WsmanFault } from '../faults';
import type { FieldValuesOf } from '../fields';
import type { Firmware } from '../../../firmware/firmware';
import { endpointReference } from '../response';
import { certificateHandleOf, certificateInstanceId, certificateUse, KEY_PAIR, keyPairHandleOf, keyPairInstanceId } from './certificates';

/**
 * DERKey: "RSA Key encoded as DES PKCS#1 ... only the public section of the key is exported"
 * (AMT_PublicPrivateKeyPair MOF, as go-wsman-messages quotes it), i.e. base64 of the PKCS#1
 * RSAPublicKey DER. MeshCentral and RPS read it with forge's publicKeyFromAsn1 (which takes it).
 */
function publicKeyPkcs1Base64(spkiBase64: string): string {
  return crypto.createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' }).export({ format: 'der', type: 'pkcs1' }).toString('base64');
}

export const publicPrivateKeyPair: WsmanClass = {
  name: KEY_PAIR,
  resourceUri: amtUri(KEY_PAIR),
  since: WSMAN_SETUP_SINCE,
  instances: ({ fw }) =>
    fw.state.keyStore.keyPairs.map((key) =>
      settingInstance(keyPairInstanceId(key.handle), { ElementName: 'Intel(r) AMT Key', InstanceID: keyPairInstanceId(key.handle), DERKey: publicKeyPkcs1Base64(key.publicKeyDer) }),
    ),
  delete: async ({ fw }, instance) => {
    const handle = keyPairHandleOf(instance.keys.InstanceID);
    const selection = fw.settings();
    // Like certificates: a key whose certificate something uses stays (the emulator's fault choice).
    const used = fw.state.keyStore.certificates.filter((c) => c.keyHandle === handle).map((c) => certificateUse(fw, c.handle)).find((use) => use !== null);
    if (selection.tlsKeyHandle === handle || fw.state.tls.keyHandle === handle) throw new WsmanFault('AccessDenied', `key ${handle} is the TLS server key`);
    if (used) throw new WsmanFault('AccessDenied', `key ${handle} belongs to a certificate in use by ${used}`);
    await fw.update((s) => {
      s.keyStore.keyPairs = s.keyStore.keyPairs.filter((k) => k.handle !== handle);
      for (const cert of s.keyStore.certificates) if (cert.keyHandle === handle) delete cert.keyHandle;
    });
  },
};

const CREDENTIAL_CONTEXT = 'AMT_TLSCredentialContext';
/** The collection every TLS credential context names as ElementProvidingContext (MeshCentral, wsman-messages). */
const ENDPOINT_COLLECTION = 'AMT_TLSProtocolEndpointCollection';
const ENDPOINT_COLLECTION_NAME = 'TLSProtocolEndpointInstances Collection';

/**
 * The TLS credential context as the device sees it now (staged selection included, like every
 * Get during setup). An association; its keys are the two references, addressed by EPR-valued
 * selectors (as MeshCentral and wsman-messages send them) or, the emulator's decision, by the
 * referenced instances' key values as text (envelope.ts referencedKey).
 */
function credentialContext(certificateHandle: number | null): WsmanInstance[] {
  if (certificateHandle === null) return [];
  const certificateId = certificateInstanceId(certificateHandle);
  return [
    {
      keys: { ElementInContext: certificateId, ElementProvidingContext: ENDPOINT_COLLECTION_NAME },
      properties: {
        ElementInContext: endpointReference(amtUri('AMT_PublicKeyCertificate'), { InstanceID: certificateId }),
        ElementProvidingContext: endpointReference(amtUri(ENDPOINT_COLLECTION), { ElementName: ENDPOINT_COLLECTION_NAME }),
      },
    },
  ];
}

const CONTEXT_FIELDS = { ElementInContext: { type: 'epr', required: true }, ElementProvidingContext: { type: 'epr', required: true } } as const;

/**
 * Selects the certificate ElementInContext names, whose key the device holds, as the TLS server
 * identity (staged until CommitChanges during setup). Refusals (InvalidRepresentation): a
 * reference that is not the certificate / collection, an unknown certificate (INVALID_HANDLE),
 * no key for it (PKI_MISSING_KEYS), a CA or expired certificate (INVALID_CERT).
 */
async function bindCredential(fw: Firmware, values: FieldValuesOf<typeof CONTEXT_FIELDS>): Promise<Record<string, string>> {
  const provider = values.ElementProvidingContext;
  if (provider.resourceUri !== amtUri(ENDPOINT_COLLECTION) || provider.selectors.get('ElementName') !== ENDPOINT_COLLECTION_NAME) {
    badValue(`ElementProvidingContext must name the ${ENDPOINT_COLLECTION} "${ENDPOINT_COLLECTION_NAME}"`);
  }
  const certificateHandle = certificateHandleOf(fw, values.ElementInContext, 'ElementInContext');
  const keyHandle = fw.state.keyStore.certificates.find((c) => c.handle === certificateHandle)?.keyHandle;
  if (keyHandle === undefined) refuse(PT_STATUS.PKI_MISSING_KEYS, 'the device holds no private key for ElementInContext');
  await selectTlsCredential(fw, keyHandle, certificateHandle);
  return credentialContext(certificateHandle)[0].keys;
}

export const tlsCredentialContext: WsmanClass = {
  name: CREDENTIAL_CONTEXT,
  resourceUri: amtUri(CREDENTIAL_CONTEXT),
  since: WSMAN_SETUP_SINCE,
  instances: ({ fw }) => credentialContext(fw.settings().tlsCertificateHandle),
  /** bindCredential; one context at most: a second Create answers wsman:AlreadyExists (RPS treats that fault as "exists"). */
  create: wsmanCreate({
    fields: CONTEXT_FIELDS,
    create: async ({ fw }, values) => {
      if (fw.settings().tlsCertificateHandle !== null) throw new WsmanFault('AlreadyExists', 'a TLS credential context exists; Delete it first');
      return bindCredential(fw, values);
    },
  }),
  /**
   * The existing context pointed at another stored certificate (MeshCentral amtmanager.js, how a
   * provisioned device changes its TLS certificate; docs/amt-protocol.md section 12). Same
   * refusals as Create. Post-provisioning it applies at once, like every setting there: the next
   * handshake presents the new certificate and sessions under the old one are retired.
   */
  put: wsmanPut({
    fields: CONTEXT_FIELDS,
    apply: async ({ fw }, values) => bindCredential(fw, values),
  }),
  /** Clears the selection (staged during setup); refused while TLS is enabled, which needs it (decision). */
  delete: async ({ fw }) => {
    if (fw.settings().tlsEnabled) throw new WsmanFault('AccessDenied', 'TLS is enabled and uses this credential; disable TLS first');
    await fw.applySetting('tlsKeyHandle', null);
    await fw.applySetting('tlsCertificateHandle', null);
  },
};

const TLS_SETTINGS = 'AMT_TLSSettingData';
/** The network interface's instance (MeshCentral: "the instance that is not the LMS one"). */
export const REMOTE_TLS_ID = 'Intel(r) AMT 802.3 TLS Settings';
export const LOCAL_TLS_ID = 'Intel(r) AMT LMS TLS Settings';

const tlsSettingFields = {
  ElementName: { type: 'string' },
  InstanceID: { type: 'string' },
  Enabled: { type: 'boolean' },
  MutualAuthentication: { type: 'boolean' },
  AcceptNonSecureConnections: { type: 'boolean' },
  NonSecureConnectionsSupported: { type: 'boolean' },
  TrustedCN: { type: 'string', array: true },
} as const;

/**
 * Remote: Enabled is the device's TLS switch (staged; CERTIFICATE_NOT_READY without a
 * credential context). The LMS instance, MutualAuthentication, AcceptNonSecureConnections and
 * TrustedCN are accepted and not kept (not modelled: port 16992 follows Enabled, no mutual TLS
 * after commit, no LMS); Get reports them false / absent (decision).
 */
export const tlsSettingData: WsmanClass = {
  name: TLS_SETTINGS,
  resourceUri: amtUri(TLS_SETTINGS),
  since: WSMAN_SETUP_SINCE,
  instances: ({ fw }) =>
    [REMOTE_TLS_ID, LOCAL_TLS_ID].map((id) =>
      settingInstance(id, { ElementName: id, InstanceID: id, MutualAuthentication: false, Enabled: id === REMOTE_TLS_ID && fw.settings().tlsEnabled, AcceptNonSecureConnections: false }),
    ),
  put: wsmanPut({
    fields: tlsSettingFields,
    apply: async ({ fw }, values, instance) => {
      const id = instance.keys.InstanceID;
      if (values.InstanceID !== undefined && values.InstanceID !== id) badValue('InstanceID is read-only');
      if (values.ElementName !== undefined && values.ElementName !== id) badValue('ElementName is read-only');
      if (id === REMOTE_TLS_ID && values.Enabled !== undefined && values.Enabled !== fw.settings().tlsEnabled) await setTlsEnabled(fw, values.Enabled);
    },
  }),
};
