// Black-box: the WS-Management protocol rules of the emulated device (docs/amt-protocol.md section
// 6): envelope and addressing checks, DSP0226 faults by name, WS-Enumeration paging, injected
// failures, and what user ACL entries may do once the device is provisioned.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AMT } from '@device-management-toolkit/wsman-messages';
import { PT_STATUS } from '../../../src/contract/ptStatus';
import { registerServices } from '../../../src/emulator/services';
import {
  AMT_URI, asArray, digestPassword, ENUMERATION, faultOf, issueFromRequest, methodOutput, methodRequest, okBody, putRequest, TRANSFER,
  assertServedCertificate, wsmanEnvelope, wsmanPoster, type DeviceEndpoint, type WsmanPost,
} from './services-client';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { makeRoot, validProvisioningChain } from './support/testPki';

const SUFFIX = 'protocol.example.com';
const DEVICE_0 = '127.0.24.1';
const DEVICE_1 = '127.0.24.2';
const amt = new AMT.Messages();
const method = methodRequest;
const put = putRequest;

let harness: Harness;
let provisioning: ReturnType<typeof validProvisioningChain>;
let send: WsmanPost;

const firmware = async (index = 0) =>
  (await harness.control.get<{ firmware: { features: { ping: boolean; sol: boolean } } }>(`/devices/${index}`)).firmware;

function endpoint(ip: string, username = 'admin', password = MEBX_PASSWORD): DeviceEndpoint {
  return { host: ip, port: 16993, tls: { keyPem: provisioning.keyPem, chainPems: provisioning.chainPems }, username, password };
}

before(async () => {
  provisioning = validProvisioningChain(SUFFIX);
  harness = await startHarness({ count: 2, baseIp: DEVICE_0, controlHost: '127.0.24.250', domainSuffix: SUFFIX, trustedRootHashes: provisioning.trustedRootHashes, registerServices });
  send = wsmanPoster(() => endpoint(DEVICE_0));
});

after(async () => {
  await harness?.close();
});

void describe('WS-Man envelope rules and faults', () => {
  const get = (cls: string, header?: string) => wsmanEnvelope({ action: `${TRANSFER}Get`, resourceUri: `${AMT_URI}${cls}`, ...(header ? { header } : {}) });

  void it('an unknown resource URI is wsa:DestinationUnreachable (InvalidResourceURI); an unknown action wsa:ActionNotSupported', async () => {
    const unknown = faultOf(await send(get('AMT_NoSuchClass')));
    assert.deepEqual([unknown.name, unknown.detail, unknown.status], ['DestinationUnreachable', 'InvalidResourceURI', 400]);
    assert.equal(faultOf(await send(wsmanEnvelope({ action: `${TRANSFER}Create`, resourceUri: `${AMT_URI}AMT_GeneralSettings`, body: '<h:AMT_GeneralSettings xmlns:h="x"/>' }))).name, 'ActionNotSupported');
    assert.equal(faultOf(await send(method('AMT_GeneralSettings', 'Reboot', ''))).name, 'ActionNotSupported');
    // A method of another class, sent to this class's resource URI.
    const crossed = wsmanEnvelope({ action: `${AMT_URI}AMT_WebUIService/RequestStateChange`, resourceUri: `${AMT_URI}AMT_RedirectionService`, body: '' });
    assert.equal(faultOf(await send(crossed)).name, 'ActionNotSupported');
  });

  void it('refuses SOAP 1.1, missing addressing headers, a non-anonymous ReplyTo and headers it must but cannot understand', async () => {
    const soap11 = faultOf(await send(wsmanEnvelope({ action: `${TRANSFER}Get`, resourceUri: `${AMT_URI}AMT_GeneralSettings`, envelopeNs: 'http://schemas.xmlsoap.org/soap/envelope/' })));
    assert.equal(soap11.name, 'VersionMismatch');
    const base = `<a:To>/wsman</a:To><w:ResourceURI>${AMT_URI}AMT_GeneralSettings</w:ResourceURI><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>`;
    assert.equal(faultOf(await send(get('AMT_GeneralSettings', `<a:Action>${TRANSFER}Get</a:Action>${base}`))).name, 'MessageInformationHeaderRequired');
    assert.equal(faultOf(await send(get('AMT_GeneralSettings', `<a:MessageID>9</a:MessageID>${base}`))).name, 'MessageInformationHeaderRequired');
    const replyElsewhere = `<a:Action>${TRANSFER}Get</a:Action><a:MessageID>9</a:MessageID><a:To>/wsman</a:To><w:ResourceURI>${AMT_URI}AMT_GeneralSettings</w:ResourceURI><a:ReplyTo><a:Address>http://evil.example/</a:Address></a:ReplyTo>`;
    assert.equal(faultOf(await send(get('AMT_GeneralSettings', replyElsewhere))).name, 'UnsupportedFeature');
    const mustUnderstand = `<a:Action>${TRANSFER}Get</a:Action><a:MessageID>9</a:MessageID>${base}<x:Lock xmlns:x="urn:x" xmlns:s="http://www.w3.org/2003/05/soap-envelope" s:mustUnderstand="true"/>`;
    assert.equal(faultOf(await send(get('AMT_GeneralSettings', mustUnderstand))).name, 'MustUnderstand');
  });

  void it('refuses malformed XML as SchemaValidationError and a DOCTYPE before any class runs', async () => {
    assert.equal(faultOf(await send('<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header>')).name, 'SchemaValidationError');
    const withDoctype = put('AMT_GeneralSettings', '<h:PingResponseEnabled>&t;</h:PingResponseEnabled>').replace('<Envelope', '<!DOCTYPE e [<!ENTITY t "false">]><Envelope');
    const refused = await send(withDoctype);
    assert.equal(refused.status, 400);
    assert.equal((await firmware()).features.ping, true, 'the factory value stays');
  });

  void it('a Get carrying a body, a Put without the class element and a method without its _INPUT are SchemaValidationError', async () => {
    assert.equal(faultOf(await send(wsmanEnvelope({ action: `${TRANSFER}Get`, resourceUri: `${AMT_URI}AMT_GeneralSettings`, body: '<x/>' }))).name, 'SchemaValidationError');
    assert.equal(faultOf(await send(wsmanEnvelope({ action: `${TRANSFER}Put`, resourceUri: `${AMT_URI}AMT_GeneralSettings`, body: '' }))).name, 'SchemaValidationError');
    const wrongInput = wsmanEnvelope({ action: `${AMT_URI}AMT_WebUIService/RequestStateChange`, resourceUri: `${AMT_URI}AMT_WebUIService`, body: `<h:RequestStateChange xmlns:h="${AMT_URI}AMT_WebUIService"><h:RequestedState>2</h:RequestedState></h:RequestStateChange>` });
    assert.equal(faultOf(await send(wrongInput)).name, 'SchemaValidationError');
  });

  void it('Pull hands out MaxElements items per call until EndOfSequence; a finished or unknown context is InvalidEnumerationContext', async () => {
    const resourceUri = `${AMT_URI}AMT_SystemPowerScheme`;
    const context = okBody(await send(wsmanEnvelope({ action: `${ENUMERATION}/Enumerate`, resourceUri, body: `<Enumerate xmlns="${ENUMERATION}"/>` })), 'EnumerateResponse').EnumerationContext as string;
    const pull = (ctx: string, max?: number) =>
      send(wsmanEnvelope({ action: `${ENUMERATION}/Pull`, resourceUri, body: `<Pull xmlns="${ENUMERATION}"><EnumerationContext>${ctx}</EnumerationContext>${max ? `<MaxElements>${max}</MaxElements>` : ''}</Pull>` }));
    const seen: string[] = [];
    let ended = false;
    for (let i = 0; i < 10 && !ended; i += 1) {
      const page = okBody(await pull(context, 4), 'PullResponse');
      seen.push(...asArray((page.Items as Record<string, unknown>).AMT_SystemPowerScheme as Record<string, string>[]).map((s) => s.InstanceID));
      ended = 'EndOfSequence' in page;
    }
    assert.deepEqual(seen, ['SCHEME 0', 'SCHEME 1', 'SCHEME 2', 'SCHEME 3', 'SCHEME 4', 'SCHEME 5']);
    const finished = faultOf(await pull(context));
    assert.deepEqual([finished.name, finished.status], ['InvalidEnumerationContext', 500]);
    assert.equal(faultOf(await pull('uuid:not-a-context')).name, 'InvalidEnumerationContext');
  });

  void it('optimized enumeration returns the first items with the EnumerateResponse; filters are refused', async () => {
    const resourceUri = `${AMT_URI}AMT_SystemPowerScheme`;
    const optimized = okBody(await send(wsmanEnvelope({ action: `${ENUMERATION}/Enumerate`, resourceUri, body: `<Enumerate xmlns="${ENUMERATION}"><w:OptimizeEnumeration/><w:MaxElements>2</w:MaxElements></Enumerate>` })), 'EnumerateResponse');
    assert.equal(asArray((optimized.Items as Record<string, unknown>).AMT_SystemPowerScheme).length, 2);
    assert.equal('EndOfSequence' in optimized, false);
    const filtered = wsmanEnvelope({ action: `${ENUMERATION}/Enumerate`, resourceUri, body: `<Enumerate xmlns="${ENUMERATION}"><w:Filter>x</w:Filter></Enumerate>` });
    assert.equal(faultOf(await send(filtered)).name, 'CannotProcessFilter');
  });

  void it('an injected failure of a WS-Transfer operation answers wsman:InternalError naming the status', async () => {
    await harness.control.post('/devices/0/faults', { failOperation: { operation: 'AMT_GeneralSettings.Get', status: PT_STATUS.NOT_READY, times: 1 } });
    const fault = faultOf(await send(amt.GeneralSettings.Get()));
    assert.deepEqual([fault.name, fault.status], ['InternalError', 500]);
    assert.match(fault.reason, /PT_STATUS_NOT_READY/);
    okBody(await send(amt.GeneralSettings.Get()), 'AMT_GeneralSettings');
  });
});

void describe('rights of user ACL entries after provisioning (device 1)', () => {
  let asUser: (username: string, password: string) => WsmanPost;

  before(async () => {
    const fw = harness.fleet.devices[1].firmware;
    fw.beginProvisioning();
    await fw.setAdminAccount('admin', MEBX_PASSWORD);
    const key = await fw.generateKeyPair();
    const root = makeRoot('Device 1 Site Root');
    const csrDer = fw.certificationRequest(key.handle, [{ shortName: 'CN', value: `pc1.${SUFFIX}` }]).replace(/-----[^-]+-----|\s+/g, '');
    const issued = issueFromRequest(csrDer, root);
    const cert = await fw.addCertificate(issued.pem);
    await fw.setTlsKeyAndCertificate(key.handle, cert.handle);
    await fw.applySetting('tlsEnabled', true);
    await fw.commit();
    await assertServedCertificate(DEVICE_1, crypto.createHash('sha256').update(Buffer.from(issued.der, 'base64')).digest('hex'));
    asUser = (username, password) => wsmanPoster(() => endpoint(DEVICE_1, username, password));
    const admin = asUser('admin', MEBX_PASSWORD);
    const realm1 = fw.state.digestRealm;
    methodOutput(await admin(amt.AuthorizationService.AddUserAclEntryEx(2, [2], 'viewer', digestPassword('viewer', realm1, 'Vi3wer!Pass'))), 'AddUserAclEntryEx');
    methodOutput(await admin(amt.AuthorizationService.AddUserAclEntryEx(2, [3], 'ptadmin', digestPassword('ptadmin', realm1, 'PtAdm1n!Pass'))), 'AddUserAclEntryEx');
  });

  void it('a user without PT administration may read but not change', async () => {
    const viewer = asUser('viewer', 'Vi3wer!Pass');
    okBody(await viewer(amt.GeneralSettings.Get()), 'AMT_GeneralSettings');
    assert.equal(faultOf(await viewer(amt.GeneralSettings.Put({ PingResponseEnabled: false }))).name, 'AccessDenied');
    assert.equal(faultOf(await viewer(amt.RedirectionService.RequestStateChange(32771))).name, 'AccessDenied');
    assert.equal((await firmware(1)).features.sol, false);
  });

  void it('a user with PT administration may change settings', async () => {
    okBody(await asUser('ptadmin', 'PtAdm1n!Pass')(amt.RedirectionService.RequestStateChange(32771)), 'RequestStateChange_OUTPUT');
    assert.equal((await firmware(1)).features.sol, true);
  });
});
