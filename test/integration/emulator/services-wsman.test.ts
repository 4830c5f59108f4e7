// Black-box: the phase 2 WS-Management endpoint (docs/amt-protocol.md section 6) of a running
// emulated fleet, over real mutual TLS with real Digest. Requests come from wsman-messages
// (what a correct client sends) or are written by hand where it lacks a class or where the
// test needs a sloppy client. State is read back through the control API. Protocol rules
// (envelope, faults, enumeration paging, user rights) are in services-wsman-protocol.test.ts.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AMT, CIM, IPS } from '@device-management-toolkit/wsman-messages';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import { PT_STATUS } from '../../../src/contract/ptStatus';
import { registerServices } from '../../../src/emulator/services';
import {
  AMT_URI, asArray, certificateReference, digestPassword, ENUMERATION, enumerateAll, faultOf, methodOutput, methodRequest, okBody, putRequest,
  referencedInstanceId, TRANSFER, wsmanEnvelope, wsmanPoster, type DeviceEndpoint, type WsmanPost,
} from './services-client';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { makeRoot, validProvisioningChain } from './support/testPki';

const SUFFIX = 'wsman.example.com';

const amt = new AMT.Messages();
const cim = new CIM.Messages();
const ips = new IPS.Messages();

let harness: Harness;
let noRadio: Harness;
let provisioning: ReturnType<typeof validProvisioningChain>;
let realm: string;

interface Firmware {
  phase: string;
  digestRealm: string;
  features: { ping: boolean; rmcpPing: boolean; webUi: boolean; sol: boolean; ider: boolean };
  userAcl: { handle: number; digestUsername?: string; kerberosUserSid?: string; realms: number[]; accessPermission: number }[];
  kerberos: { realm: string; keyVersion: number; masterKey?: string; encryption: string | null; keys: Record<string, string>; enabled: boolean } | null;
  powerScheme: string | null;
  wirelessProfiles: { instanceId: string; properties: Record<string, unknown> }[];
  ieee8021x: { properties: Record<string, unknown> } | null;
  keyStore: { certificates: { handle: number }[] };
}
const firmware = async (h: Harness = harness, index = 0) => (await h.control.get<{ firmware: Firmware }>(`/devices/${index}?secrets=reveal`)).firmware;

function endpoint(ip: string, username = 'admin', password = MEBX_PASSWORD): DeviceEndpoint {
  return { host: ip, port: 16993, tls: { keyPem: provisioning.keyPem, chainPems: provisioning.chainPems }, username, password };
}

let send: WsmanPost;

before(async () => {
  provisioning = validProvisioningChain(SUFFIX);
  const common = { domainSuffix: SUFFIX, trustedRootHashes: provisioning.trustedRootHashes };
  harness = await startHarness({ ...common, count: 2, baseIp: '127.0.22.1', controlHost: '127.0.22.250', registerServices });
  noRadio = await startHarness({ ...common, count: 1, baseIp: '127.0.23.1', controlHost: '127.0.23.250', registerServices, withoutRadio: 'all' });
  send = wsmanPoster(() => endpoint('127.0.22.1'));
  realm = (await firmware()).digestRealm;
});

after(async () => {
  await harness?.close();
  await noRadio?.close();
});

const method = methodRequest;
const put = putRequest;
const enumerate = (request: { Enumerate: () => string; Pull: (ctx: string) => string }, className: string, post = send) => enumerateAll(post, request, className);

void describe('8.1 AMT_AuthorizationService', () => {
  const password = () => digestPassword('operator', realm, 'Op3rator!Pass');

  void it('AddUserAclEntryEx adds a Digest user; Enumerate and GetUserAclEntryEx read it back without the hash', async () => {
    const added = methodOutput(await send(amt.AuthorizationService.AddUserAclEntryEx(2, [3, 5], 'operator', password())), 'AddUserAclEntryEx');
    const handle = Number(added.Handle);
    const entry = (await firmware()).userAcl.find((e) => e.handle === handle);
    assert.deepEqual({ ...entry }, { handle, digestUsername: 'operator', digestHa1: Buffer.from(password(), 'base64').toString('hex'), accessPermission: 2, realms: [3, 5] });
    const listed = methodOutput(await send(amt.AuthorizationService.EnumerateUserAclEntries(1)), 'EnumerateUserAclEntries');
    assert.deepEqual(asArray(listed.Handles), [String(handle)]);
    assert.equal(listed.TotalCount, '1');
    const got = methodOutput(await send(amt.AuthorizationService.GetUserAclEntryEx(handle)), 'GetUserAclEntryEx');
    assert.equal(got.DigestUsername, 'operator');
    assert.deepEqual(asArray(got.Realms), ['3', '5']);
    assert.equal('DigestPassword' in got, false);
  });

  void it('adds a Kerberos SID entry', async () => {
    const sid = Buffer.from('010500000000000515000000a1b2c3d4e5f60718293a4b5c5c040000', 'hex').toString('base64');
    const added = methodOutput(await send(amt.AuthorizationService.AddUserAclEntryEx(1, [3], undefined, undefined, sid)), 'AddUserAclEntryEx');
    assert.equal((await firmware()).userAcl.find((e) => e.handle === Number(added.Handle))?.kerberosUserSid, sid);
  });

  void it('refuses duplicates, digest+Kerberos together, neither, unknown or repeated realms, long names and bad hashes', async () => {
    const sid = Buffer.from('0101000000000005' + '15000000', 'hex').toString('base64');
    const before = (await firmware()).userAcl.length;
    methodOutput(await send(amt.AuthorizationService.AddUserAclEntryEx(2, [3], 'operator', password())), 'AddUserAclEntryEx', 'DUPLICATE');
    methodOutput(await send(amt.AuthorizationService.AddUserAclEntryEx(2, [3], 'admin', password())), 'AddUserAclEntryEx', 'INVALID_NAME');
    methodOutput(await send(amt.AuthorizationService.AddUserAclEntryEx(2, [3], 'both', password(), sid)), 'AddUserAclEntryEx', 'INVALID_PARAMETER');
    methodOutput(await send(method('AMT_AuthorizationService', 'AddUserAclEntryEx', '<h:AccessPermission>2</h:AccessPermission><h:Realms>3</h:Realms>')), 'AddUserAclEntryEx', 'INVALID_PARAMETER');
    methodOutput(await send(amt.AuthorizationService.AddUserAclEntryEx(2, [14 as 13], 'realm14', password())), 'AddUserAclEntryEx', 'INVALID_REALM');
    methodOutput(await send(amt.AuthorizationService.AddUserAclEntryEx(2, [3, 3], 'twice', password())), 'AddUserAclEntryEx', 'INVALID_REALM');
    methodOutput(await send(amt.AuthorizationService.AddUserAclEntryEx(2, [3], 'badhash', Buffer.alloc(8).toString('base64'))), 'AddUserAclEntryEx', 'INVALID_PASSWORD');
    methodOutput(await send(amt.AuthorizationService.AddUserAclEntryEx(4 as 2, [3], 'perm4', password())), 'AddUserAclEntryEx', 'INVALID_PARAMETER');
    const longName = `<h:DigestUsername>${'u'.repeat(17)}</h:DigestUsername><h:DigestPassword>${password()}</h:DigestPassword><h:AccessPermission>2</h:AccessPermission><h:Realms>3</h:Realms>`;
    methodOutput(await send(method('AMT_AuthorizationService', 'AddUserAclEntryEx', longName)), 'AddUserAclEntryEx', 'INVALID_NAME');
    assert.equal((await firmware()).userAcl.length, before);
  });

  void it('RemoveUserAclEntry removes an entry; unknown handles answer INVALID_HANDLE', async () => {
    const handle = (await firmware()).userAcl.find((e) => e.digestUsername === 'operator')?.handle as number;
    methodOutput(await send(amt.AuthorizationService.RemoveUserAclEntry(handle)), 'RemoveUserAclEntry');
    assert.equal((await firmware()).userAcl.some((e) => e.handle === handle), false);
    methodOutput(await send(amt.AuthorizationService.RemoveUserAclEntry(handle)), 'RemoveUserAclEntry', 'INVALID_HANDLE');
    methodOutput(await send(amt.AuthorizationService.GetUserAclEntryEx(handle)), 'GetUserAclEntryEx', 'INVALID_HANDLE');
  });

  void it('refuses entries beyond the device limit with MAX_LIMIT_REACHED', async () => {
    let status = 0;
    for (let i = 0; i < 40 && status === 0; i += 1) {
      const output = okBody(await send(amt.AuthorizationService.AddUserAclEntryEx(2, [3], `bulk${i}`, digestPassword(`bulk${i}`, realm, 'Bulk!Pass1'))), 'AddUserAclEntryEx_OUTPUT');
      status = Number(output.ReturnValue);
    }
    assert.equal(status, PT_STATUS.MAX_LIMIT_REACHED);
    const acl = (await firmware()).userAcl;
    assert.equal(acl.length, 32);
    for (const entry of acl.filter((e) => e.digestUsername?.startsWith('bulk'))) {
      methodOutput(await send(amt.AuthorizationService.RemoveUserAclEntry(entry.handle)), 'RemoveUserAclEntry');
    }
  });

  void it('an injected failure answers its ReturnValue and adds nothing', async () => {
    await harness.control.post('/devices/0/faults', { failOperation: { operation: 'AMT_AuthorizationService.AddUserAclEntryEx', status: PT_STATUS.NOT_READY, times: 1 } });
    const before = (await firmware()).userAcl.length;
    methodOutput(await send(amt.AuthorizationService.AddUserAclEntryEx(2, [3], 'faulty', password())), 'AddUserAclEntryEx', 'NOT_READY');
    assert.equal((await firmware()).userAcl.length, before);
  });
});

void describe('8.2 AMT_GeneralSettings, AMT_WebUIService, AMT_RedirectionService', () => {
  void it('Get reports the Digest realm of the 401 challenge; Put switches ping and RMCP ping', async () => {
    const settings = okBody(await send(amt.GeneralSettings.Get()), 'AMT_GeneralSettings');
    assert.equal(settings.DigestRealm, realm);
    const response = await send(amt.GeneralSettings.Put({ ...settings, PingResponseEnabled: false, RmcpPingResponseEnabled: true }));
    assert.equal(okBody(response, 'AMT_GeneralSettings').RmcpPingResponseEnabled, 'true');
    const { features } = await firmware();
    assert.deepEqual([features.ping, features.rmcpPing], [false, true]);
  });

  void it('Put refuses a changed read-only DigestRealm, a foreign namespace, unknown properties and bad values', async () => {
    assert.equal(faultOf(await send(put('AMT_GeneralSettings', '<h:DigestRealm>Digest:00000000000000000000000000000000</h:DigestRealm>'))).name, 'InvalidRepresentation');
    const foreign = wsmanEnvelope({ action: `${TRANSFER}Put`, resourceUri: `${AMT_URI}AMT_GeneralSettings`, body: `<h:AMT_GeneralSettings xmlns:h="urn:wrong"><h:PingResponseEnabled>true</h:PingResponseEnabled></h:AMT_GeneralSettings>` });
    assert.equal(faultOf(await send(foreign)).name, 'SchemaValidationError');
    assert.equal(faultOf(await send(put('AMT_GeneralSettings', '<h:Bogus>1</h:Bogus>'))).name, 'SchemaValidationError');
    assert.equal(faultOf(await send(put('AMT_GeneralSettings', '<h:PingResponseEnabled>maybe</h:PingResponseEnabled>'))).name, 'SchemaValidationError');
    assert.equal(faultOf(await send(put('AMT_GeneralSettings', '<h:HostName>bad_name</h:HostName>'))).name, 'InvalidRepresentation');
    assert.equal((await firmware()).features.ping, false);
  });

  void it('AMT_WebUIService.RequestStateChange enables and disables the web console (CIM ReturnValues)', async () => {
    const change = (state: number) => send(method('AMT_WebUIService', 'RequestStateChange', `<h:RequestedState>${state}</h:RequestedState>`));
    assert.equal(okBody(await change(2), 'RequestStateChange_OUTPUT').ReturnValue, '0');
    assert.equal((await firmware()).features.webUi, true);
    assert.equal(okBody(await send(wsmanEnvelope({ action: `${TRANSFER}Get`, resourceUri: `${AMT_URI}AMT_WebUIService` })), 'AMT_WebUIService').EnabledState, '2');
    assert.equal(okBody(await change(7), 'RequestStateChange_OUTPUT').ReturnValue, '5');
    assert.equal((await firmware()).features.webUi, true);
  });

  void it('AMT_RedirectionService.RequestStateChange: 32771 SOL+IDE-R, 32770 SOL only, 32768 none; others refused', async () => {
    const states: [number, boolean, boolean][] = [[32771, true, true], [32770, true, false], [32769, false, true], [32768, false, false]];
    for (const [state, sol, ider] of states) {
      assert.equal(okBody(await send(amt.RedirectionService.RequestStateChange(state as 32771)), 'RequestStateChange_OUTPUT').ReturnValue, '0');
      const { features } = await firmware();
      assert.deepEqual([features.sol, features.ider], [sol, ider], `state ${state}`);
      const got = okBody(await send(amt.RedirectionService.Get()), 'AMT_RedirectionService');
      assert.deepEqual([got.EnabledState, got.ListenerEnabled], [String(state), String(sol || ider)]);
    }
    assert.equal(okBody(await send(amt.RedirectionService.RequestStateChange(40000 as 32771)), 'RequestStateChange_OUTPUT').ReturnValue, '5');
  });
});

void describe('8.3 AMT_KerberosSettingData and AMT_SystemPowerScheme', () => {
  const masterKey = crypto.randomBytes(16).toString('base64');

  void it('Put stores realm, key version and master key; Get never returns the key', async () => {
    const body = `<h:RealmName>CORP.EXAMPLE.COM</h:RealmName><h:KeyVersion>3</h:KeyVersion><h:EncryptionAlgorithm>0</h:EncryptionAlgorithm><h:MasterKey>${masterKey}</h:MasterKey><h:KrbEnabled>true</h:KrbEnabled>`;
    const response = okBody(await send(put('AMT_KerberosSettingData', body)), 'AMT_KerberosSettingData');
    assert.equal(response.RealmName, 'CORP.EXAMPLE.COM');
    const keySha256 = crypto.createHash('sha256').update(Buffer.from(masterKey, 'base64')).digest('hex');
    assert.deepEqual((await firmware()).kerberos, {
      realm: 'CORP.EXAMPLE.COM', keyVersion: 3, enabled: true, maximumClockTolerance: 5, encryption: 'rc4-hmac', algorithms: [0], keys: { 'rc4-hmac': keySha256 }, masterKey,
    });
    const got = okBody(await send(amt.KerberosSettingData.Get()), 'AMT_KerberosSettingData');
    assert.deepEqual([got.KrbEnabled, got.KeyVersion, got.ConfiguredEncryptionAlgorithms, 'MasterKey' in got], ['true', '3', '0', false]);
  });

  void it('Put refuses a key of the wrong size, a non-RC4 algorithm, MasterKey with a pass phrase, and a missing KrbEnabled', async () => {
    const refusals = [
      `<h:RealmName>CORP.EXAMPLE.COM</h:RealmName><h:MasterKey>${crypto.randomBytes(32).toString('base64')}</h:MasterKey><h:KrbEnabled>true</h:KrbEnabled>`,
      `<h:EncryptionAlgorithm>3</h:EncryptionAlgorithm><h:KrbEnabled>true</h:KrbEnabled>`,
      `<h:MasterKey>${crypto.randomBytes(16).toString('base64')}</h:MasterKey><h:KrbEnabled>true</h:KrbEnabled><h:Passphrase>secret</h:Passphrase>`,
    ];
    for (const body of refusals) assert.equal(faultOf(await send(put('AMT_KerberosSettingData', body))).name, 'InvalidRepresentation', body);
    assert.equal(faultOf(await send(put('AMT_KerberosSettingData', '<h:RealmName>X</h:RealmName>'))).name, 'SchemaValidationError');
    assert.equal((await firmware()).kerberos?.masterKey, masterKey);
  });

  void it('AMT_SystemPowerScheme: Enumerate lists the schemes; SetPowerScheme on "SCHEME 5" selects it', async () => {
    const schemes = await enumerate({ Enumerate: () => wsmanEnvelope({ action: `${ENUMERATION}/Enumerate`, resourceUri: `${AMT_URI}AMT_SystemPowerScheme`, body: `<Enumerate xmlns="${ENUMERATION}"/>` }), Pull: (ctx) => wsmanEnvelope({ action: `${ENUMERATION}/Pull`, resourceUri: `${AMT_URI}AMT_SystemPowerScheme`, body: `<Pull xmlns="${ENUMERATION}"><EnumerationContext>${ctx}</EnumerationContext><MaxElements>10</MaxElements></Pull>` }) }, 'AMT_SystemPowerScheme');
    assert.ok(schemes.some((s) => s.InstanceID === 'SCHEME 5'));
    methodOutput(await send(method('AMT_SystemPowerScheme', 'SetPowerScheme', '', { InstanceID: 'SCHEME 5' })), 'SetPowerScheme');
    assert.equal((await firmware()).powerScheme, 'SCHEME 5');
  });

  void it('SetPowerScheme needs a selector naming an existing scheme', async () => {
    const missing = faultOf(await send(method('AMT_SystemPowerScheme', 'SetPowerScheme', '')));
    assert.deepEqual([missing.name, missing.detail], ['InvalidSelectors', 'InsufficientSelectors']);
    const unknown = faultOf(await send(method('AMT_SystemPowerScheme', 'SetPowerScheme', '', { InstanceID: 'SCHEME 9' })));
    assert.deepEqual([unknown.name, unknown.detail], ['InvalidSelectors', 'InvalidValue']);
    const wrongKey = faultOf(await send(method('AMT_SystemPowerScheme', 'SetPowerScheme', '', { Name: 'SCHEME 5' })));
    assert.deepEqual([wrongKey.name, wrongKey.detail], ['InvalidSelectors', 'UnexpectedSelectors']);
    assert.equal((await firmware()).powerScheme, 'SCHEME 5');
  });
});

void describe('8.4 wireless profiles, certificates and wired 802.1X', () => {
  const endpointSelector = { name: 'Name', value: 'WiFi Endpoint 0' } as never;
  const psk = (name: string, priority: number, passphrase: string) =>
    amt.WiFiPortConfigurationService.AddWiFiSettings(
      { ElementName: name, InstanceID: `Intel(r) AMT:WiFi Endpoint Settings ${name}`, Priority: priority, SSID: `ssid-${name}`, AuthenticationMethod: 6, EncryptionMethod: 4, PSKPassPhrase: passphrase } as never,
      endpointSelector,
    );
  let rootId: string;
  let strangerId: string;

  void it('detects the radio: CIM_WiFiPort and "Ethernet Port Settings 1" (wireless), "Settings 0" wired', async () => {
    assert.equal((await enumerate(cim.WiFiPort, 'CIM_WiFiPort')).length, 1);
    const ports = await enumerate(amt.EthernetPortSettings, 'AMT_EthernetPortSettings');
    assert.deepEqual(ports.map((p) => [p.InstanceID, p.PhysicalConnectionType]), [['Intel(r) AMT Ethernet Port Settings 0', '0'], ['Intel(r) AMT Ethernet Port Settings 1', '3']]);
    const wireless = okBody(await send(amt.EthernetPortSettings.Get({ name: 'InstanceID', value: 'Intel(r) AMT Ethernet Port Settings 1' })), 'AMT_EthernetPortSettings');
    assert.match(wireless.MACAddress as string, /^([0-9a-f]{2}-){5}[0-9a-f]{2}$/);
  });

  void it('AddWiFiSettings stores a WPA2-PSK profile; CIM_WiFiEndpointSettings lists it without the passphrase', async () => {
    const output = methodOutput(await send(psk('home', 1, 'Pass&<word>1')), 'AddWiFiSettings');
    assert.equal(referencedInstanceId(output.SettingsData), 'Intel(r) AMT:WiFi Endpoint Settings home');
    const stored = (await firmware()).wirelessProfiles;
    assert.equal(stored.length, 1);
    assert.deepEqual([stored[0].properties.SSID, stored[0].properties.PSKPassPhrase], ['ssid-home', 'Pass&<word>1']);
    const listed = await enumerate(cim.WiFiEndpointSettings, 'CIM_WiFiEndpointSettings');
    assert.deepEqual(listed.map((p) => [p.ElementName, p.Priority, 'PSKPassPhrase' in p]), [['home', '1', false]]);
  });

  void it('refuses duplicate names and priorities, short passphrases, open networks and a foreign endpoint', async () => {
    methodOutput(await send(psk('home', 2, 'Another!Pass1')), 'AddWiFiSettings', 'DUPLICATE');
    methodOutput(await send(psk('office', 1, 'Another!Pass1')), 'AddWiFiSettings', 'DUPLICATE');
    methodOutput(await send(psk('short', 3, 'short')), 'AddWiFiSettings', 'INVALID_PASSPHRASE');
    const open = amt.WiFiPortConfigurationService.AddWiFiSettings({ ElementName: 'open', Priority: 4, SSID: 'open', AuthenticationMethod: 2, EncryptionMethod: 5 } as never, endpointSelector);
    methodOutput(await send(open), 'AddWiFiSettings', 'INVALID_PARAMETER');
    const foreign = amt.WiFiPortConfigurationService.AddWiFiSettings({ ElementName: 'x', Priority: 5, SSID: 'x', AuthenticationMethod: 6, EncryptionMethod: 4, PSKPassPhrase: 'Good!Pass1' } as never, { name: 'Name', value: 'WiFi Endpoint 7' });
    methodOutput(await send(foreign), 'AddWiFiSettings', 'INVALID_PARAMETER');
    assert.equal((await firmware()).wirelessProfiles.length, 1);
  });

  void it('AMT_PublicKeyManagementService adds a trusted root (refusing non-roots there) and a plain certificate', async () => {
    const root = makeRoot('RADIUS Root');
    const added = methodOutput(await send(amt.PublicKeyManagementService.AddTrustedRootCertificate({ CertificateBlob: root.der.toString('base64') })), 'AddTrustedRootCertificate');
    rootId = referencedInstanceId(added.CreatedCertificate);
    const stranger = validProvisioningChain('stranger.example.com');
    const leafDer = new crypto.X509Certificate(stranger.chainPems[0]).raw.toString('base64');
    methodOutput(await send(amt.PublicKeyManagementService.AddTrustedRootCertificate({ CertificateBlob: leafDer })), 'AddTrustedRootCertificate', 'INVALID_CERT');
    strangerId = referencedInstanceId(methodOutput(await send(amt.PublicKeyManagementService.AddCertificate({ CertificateBlob: leafDer })), 'AddCertificate').CreatedCertificate);
    const listed = await enumerate(amt.PublicKeyCertificate, 'AMT_PublicKeyCertificate');
    assert.deepEqual(listed.map((c) => [c.InstanceID, c.TrustedRootCertficate]), [[rootId, 'true'], [strangerId, 'false']]);
  });

  void it('AddWiFiSettings stores a WPA2-802.1X (PEAP) profile referencing the root; EAP-TLS needs a client certificate with a device key', async () => {
    const settings = (name: string, priority: number) => ({ ElementName: name, Priority: priority, SSID: `ssid-${name}`, AuthenticationMethod: 7, EncryptionMethod: 4 }) as never;
    const peap = amt.WiFiPortConfigurationService.AddWiFiSettings(settings('corp', 2), endpointSelector, { ElementName: 'corp', AuthenticationProtocol: 2, Username: 'amt', Password: 'Radius!Pass1' } as never, undefined, rootId);
    methodOutput(await send(peap), 'AddWiFiSettings');
    const corp = (await firmware()).wirelessProfiles.find((p) => p.properties.ElementName === 'corp');
    assert.equal(corp?.properties.CACredential, Number(rootId.split(' ').pop()));
    const tls = amt.WiFiPortConfigurationService.AddWiFiSettings(settings('corp-tls', 3), endpointSelector, { ElementName: 'corp-tls', AuthenticationProtocol: 0 } as never, strangerId, rootId);
    methodOutput(await send(tls), 'AddWiFiSettings', 'PKI_MISSING_KEYS');
    const noCa = amt.WiFiPortConfigurationService.AddWiFiSettings(settings('corp-noca', 4), endpointSelector, { ElementName: 'x', AuthenticationProtocol: 2, Username: 'amt', Password: 'Radius!Pass1' } as never);
    methodOutput(await send(noCa), 'AddWiFiSettings', 'INVALID_PARAMETER');
  });

  void it('a certificate in use cannot be deleted; CIM_WiFiEndpointSettings Delete and DeleteAllITProfiles remove profiles, then it can', async () => {
    assert.equal(faultOf(await send(amt.PublicKeyCertificate.Delete({ name: 'InstanceID', value: rootId }))).name, 'AccessDenied');
    const removed = await send(cim.WiFiEndpointSettings.Delete({ name: 'InstanceID', value: 'Intel(r) AMT:WiFi Endpoint Settings home' }));
    assert.equal(removed.status, 200, removed.body);
    assert.deepEqual((await firmware()).wirelessProfiles.map((p) => p.properties.ElementName), ['corp']);
    methodOutput(await send(method('AMT_WiFiPortConfigurationService', 'DeleteAllITProfiles', '')), 'DeleteAllITProfiles');
    assert.deepEqual((await firmware()).wirelessProfiles, []);
    const deleted = await send(amt.PublicKeyCertificate.Delete({ name: 'InstanceID', value: strangerId }));
    assert.equal(deleted.status, 200, deleted.body);
    assert.equal(faultOf(await send(amt.PublicKeyCertificate.Delete({ name: 'InstanceID', value: strangerId }))).name, 'InvalidSelectors');
  });

  void it('IPS_IEEE8021xSettings: Put enables EAP-TLS; SetCertificates takes a trusted root and refuses a client certificate without a device key', async () => {
    okBody(await send(ips.IEEE8021xSettings.Put({ ElementName: 'Intel(r) AMT: 8021X Settings', InstanceID: 'Intel(r) AMT: 8021X Settings', Enabled: 2, AuthenticationProtocol: 0, PxeTimeout: 120 } as never)), 'IPS_IEEE8021xSettings');
    assert.deepEqual((await firmware()).ieee8021x?.properties.Enabled, 2);
    const stranger = validProvisioningChain('client.example.com');
    const clientId = referencedInstanceId(methodOutput(await send(amt.PublicKeyManagementService.AddCertificate({ CertificateBlob: new crypto.X509Certificate(stranger.chainPems[0]).raw.toString('base64') })), 'AddCertificate').CreatedCertificate);
    methodOutput(await send(ips.IEEE8021xSettings.SetCertificates(certificateReference(rootId), certificateReference(clientId))), 'SetCertificates', 'PKI_MISSING_KEYS');
    methodOutput(await send(ips.IEEE8021xSettings.SetCertificates(certificateReference(clientId), certificateReference(clientId))), 'SetCertificates', 'INVALID_CERT');
    methodOutput(await send(method('IPS_IEEE8021xSettings', 'SetCertificates', `<h:ServerCertificateIssuer>${certificateReference(rootId)}</h:ServerCertificateIssuer>`, undefined, 'http://intel.com/wbem/wscim/1/ips-schema/1/')), 'SetCertificates');
    const props = (await firmware()).ieee8021x?.properties;
    assert.equal(props?.ServerCertificateIssuer, Number(rootId.split(' ').pop()));
    assert.equal(faultOf(await send(amt.PublicKeyCertificate.Delete({ name: 'InstanceID', value: rootId }))).name, 'AccessDenied');
    assert.equal(faultOf(await send(ips.IEEE8021xSettings.Put({ Enabled: 9 } as never))).name, 'InvalidRepresentation');
  });

  void it('IPS_IEEE8021xSettings: Put Enabled 3 releases the certificates, which can then be deleted', async () => {
    okBody(await send(ips.IEEE8021xSettings.Put({ ElementName: 'Intel(r) AMT: 8021X Settings', InstanceID: 'Intel(r) AMT: 8021X Settings', Enabled: 3 } as never)), 'IPS_IEEE8021xSettings');
    const props = (await firmware()).ieee8021x?.properties;
    assert.equal(props?.Enabled, 3);
    assert.equal('ServerCertificateIssuer' in (props ?? {}), false);
    const deleted = await send(amt.PublicKeyCertificate.Delete({ name: 'InstanceID', value: rootId }));
    assert.equal(deleted.status, 200, deleted.body);
  });
});

void describe('AMT_SetupAndConfigurationService and CIM_SoftwareIdentity', () => {
  void it('Get reports the provisioning state and presents the OTP set through the control API', async () => {
    let setup = okBody(await send(amt.SetupAndConfigurationService.Get()), 'AMT_SetupAndConfigurationService');
    assert.deepEqual([setup.ProvisioningState, setup.ProvisioningMode, 'ProvisioningServerOTP' in setup], ['1', '1', false]);
    await harness.control.post('/devices/0/otp', { otp: 'Otp-0123456789' });
    setup = okBody(await send(amt.SetupAndConfigurationService.Get()), 'AMT_SetupAndConfigurationService');
    assert.equal(Buffer.from(setup.ProvisioningServerOTP as string, 'base64').toString('utf8'), 'Otp-0123456789');
  });

  void it('CIM_SoftwareIdentity "AMT" carries the firmware version', async () => {
    const identity = okBody(await send(cim.SoftwareIdentity.Get({ name: 'InstanceID', value: 'AMT' })), 'CIM_SoftwareIdentity');
    assert.equal(identity.VersionString, DEFAULT_FIRMWARE_VERSION.modern);
  });
});

void describe('a device without a radio', () => {
  const sendNoRadio = () => wsmanPoster(() => endpoint('127.0.23.1'));

  void it('has no CIM_WiFiPort, no wireless port settings, and refuses wireless profiles as UNSUPPORTED', async () => {
    const post = sendNoRadio();
    assert.deepEqual(await enumerate(cim.WiFiPort, 'CIM_WiFiPort', post), []);
    assert.deepEqual((await enumerate(amt.EthernetPortSettings, 'AMT_EthernetPortSettings', post)).map((p) => p.InstanceID), ['Intel(r) AMT Ethernet Port Settings 0']);
    const add = amt.WiFiPortConfigurationService.AddWiFiSettings({ ElementName: 'home', Priority: 1, SSID: 'home', AuthenticationMethod: 6, EncryptionMethod: 4, PSKPassPhrase: 'Good!Pass12' } as never, { name: 'Name', value: 'WiFi Endpoint 0' });
    methodOutput(await post(add), 'AddWiFiSettings', 'UNSUPPORTED');
    assert.deepEqual((await firmware(noRadio)).wirelessProfiles, []);
  });
});
