// WsmanClient and the section 6 helpers over real HTTPS + Digest against an in-test WS-Man
// responder: envelopes go out as wsman-messages writes them, answers are parsed strictly.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { DeviceTlsAgent } from '../../../src/amt/deviceTls';
import { DigestSession } from '../../../src/amt/digestClient';
import { digestHa1 } from '../../../src/amt/digestAuth';
import { AmtSoapFault, AmtStatusError, DeviceXmlRejected, UnexpectedHttpStatus } from '../../../src/amt/errors';
import { WsmanClient } from '../../../src/amt/wsmanClient';
import { addUserAclEntryEx, enumerateUserAclEntries, getUserAclEntryEx } from '../../../src/amt/wsmanAcl';
import { getSetupAndConfiguration, putKerberosSettings, setPingResponses, setRedirectionState, setWebUiEnabled } from '../../../src/amt/wsmanSettings';
import { enumerateWiFiEndpointSettings } from '../../../src/amt/wsmanWireless';
import { issue, provisioningPki, rsaKey } from '../../unit/amt/support/testPki';
import { DigestDevice } from './support/digestDevice';

const HOST = '127.0.31.4';
const pki = provisioningPki();
const device = new DigestDevice(HOST, issue({ cn: 'Intel(R) AMT device', key: rsaKey(2048, 7) }));
const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });

interface Seen { action: string; resourceUri: string; selectors: Record<string, string>; body: Record<string, unknown> }
const seen: Seen[] = [];
type Reply = { status?: number; xml: string };
let respond: (request: Seen) => Reply;

const envelope = (body: string) => '<?xml version="1.0" encoding="UTF-8"?><a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" ' +
  `xmlns:b="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:g="urn:g"><a:Header><b:RelatesTo>0</b:RelatesTo></a:Header><a:Body>${body}</a:Body></a:Envelope>`;
const output = (method: string, fields: string) => envelope(`<g:${method}_OUTPUT>${fields}</g:${method}_OUTPUT>`);

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

void describe('WsmanClient over HTTPS Digest', () => {
  let agent: DeviceTlsAgent;
  let client: WsmanClient;
  before(async () => {
    device.users.set('admin', 'Admin-Pa55');
    device.onAuthorized = (request, response) => {
      const document = parser.parse(request.body.toString()) as { Envelope: { Header: Record<string, unknown>; Body: Record<string, unknown> } };
      const header = document.Envelope.Header;
      const selectorSet = header.SelectorSet as { Selector?: unknown } | undefined;
      const selectors = Object.fromEntries(asArray(selectorSet?.Selector as { '@Name': string; '#text': string } | undefined).map((s) => [s['@Name'], s['#text']]));
      const request_: Seen = { action: header.Action as string, resourceUri: header.ResourceURI as string, selectors, body: document.Envelope.Body };
      seen.push(request_);
      const reply = respond(request_);
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/soap+xml' });
      response.end(reply.xml);
    };
    await device.start();
    agent = new DeviceTlsAgent({ host: HOST, port: device.port, clientCredential: { privateKeyPem: pki.leaf.keyPem, chainPem: pki.chainPem }, identity: {} });
    client = new WsmanClient(new DigestSession(agent, { username: 'admin', password: 'Admin-Pa55' }));
  });
  after(async () => {
    agent.destroy();
    await device.stop();
  });
  beforeEach(() => { seen.length = 0; });

  void it('Put of AMT_GeneralSettings sends back the whole instance with the ping changes, escaped', async () => {
    respond = (request) => {
      const instance = request.action.endsWith('/Put')
        ? `<g:AMT_GeneralSettings><g:InstanceID>Intel(r) AMT: General Settings</g:InstanceID><g:PingResponseEnabled>true</g:PingResponseEnabled></g:AMT_GeneralSettings>`
        : '<g:AMT_GeneralSettings><g:InstanceID>Intel(r) AMT: General Settings</g:InstanceID><g:HostName>a&amp;b</g:HostName>' +
          '<g:PingResponseEnabled>false</g:PingResponseEnabled><g:RmcpPingResponseEnabled>false</g:RmcpPingResponseEnabled></g:AMT_GeneralSettings>';
      return { xml: envelope(instance) };
    };
    const result = await setPingResponses(client, { PingResponseEnabled: true, RmcpPingResponseEnabled: true });
    assert.equal(result.PingResponseEnabled, 'true');
    assert.deepEqual(seen.map((request) => request.action), ['http://schemas.xmlsoap.org/ws/2004/09/transfer/Get', 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Put']);
    assert.deepEqual(seen[1].body.AMT_GeneralSettings, {
      InstanceID: 'Intel(r) AMT: General Settings', HostName: 'a&b', PingResponseEnabled: 'true', RmcpPingResponseEnabled: 'true',
    });
  });

  void it('pulls every page of an enumeration', async () => {
    respond = (request) => {
      if (request.action.endsWith('/Enumerate')) return { xml: envelope('<g:EnumerateResponse><g:EnumerationContext>ctx-1</g:EnumerationContext></g:EnumerateResponse>') };
      const context = (request.body.Pull as { EnumerationContext: string }).EnumerationContext;
      return context === 'ctx-1'
        ? { xml: envelope('<g:PullResponse><g:EnumerationContext>ctx-2</g:EnumerationContext><g:Items><h:CIM_WiFiEndpointSettings xmlns:h="urn:h"><h:InstanceID>p1</h:InstanceID></h:CIM_WiFiEndpointSettings></g:Items></g:PullResponse>') }
        : { xml: envelope('<g:PullResponse><g:Items><h:CIM_WiFiEndpointSettings xmlns:h="urn:h"><h:InstanceID>p2</h:InstanceID></h:CIM_WiFiEndpointSettings>' +
          '<h:CIM_WiFiEndpointSettings xmlns:h="urn:h"><h:InstanceID>p3</h:InstanceID></h:CIM_WiFiEndpointSettings></g:Items><g:EndOfSequence/></g:PullResponse>') };
    };
    const profiles = await enumerateWiFiEndpointSettings(client);
    assert.deepEqual(profiles.map((profile) => profile.InstanceID), ['p1', 'p2', 'p3']);
    assert.equal(seen.length, 3);
  });

  void it('pages user ACL handles by StartIndex and reads an entry', async () => {
    respond = (request) => {
      if (request.action.endsWith('/GetUserAclEntryEx')) {
        return { xml: output('GetUserAclEntryEx', '<g:DigestUsername>ops</g:DigestUsername><g:AccessPermission>2</g:AccessPermission><g:Realms>3</g:Realms><g:Realms>5</g:Realms><g:ReturnValue>0</g:ReturnValue>') };
      }
      const start = Number((request.body.EnumerateUserAclEntries_INPUT as { StartIndex: string }).StartIndex);
      const handles = start === 1 ? [11, 12] : [13];
      return { xml: output('EnumerateUserAclEntries', `<g:TotalCount>3</g:TotalCount><g:HandlesCount>${handles.length}</g:HandlesCount>${handles.map((h) => `<g:Handles>${h}</g:Handles>`).join('')}<g:ReturnValue>0</g:ReturnValue>`) };
    };
    assert.deepEqual(await enumerateUserAclEntries(client), [11, 12, 13]);
    assert.deepEqual(seen.map((request) => (request.body.EnumerateUserAclEntries_INPUT as { StartIndex: string }).StartIndex), ['1', '3']);
    assert.deepEqual(await getUserAclEntryEx(client, 12), { handle: 12, digestUsername: 'ops', kerberosUserSid: undefined, accessPermission: 2, realms: [3, 5] });
  });

  void it('adds a Digest ACL entry with HA1 over the device realm and returns its handle', async () => {
    respond = () => ({ xml: output('AddUserAclEntryEx', '<g:Handle>42</g:Handle><g:ReturnValue>0</g:ReturnValue>') });
    const handle = await addUserAclEntryEx(client, { digest: { username: 'o&m', password: 'Op-Pa55', digestRealm: device.realm }, accessPermission: 2, realms: [3, 5] });
    assert.equal(handle, 42);
    const input = seen[0].body.AddUserAclEntryEx_INPUT as Record<string, unknown>;
    assert.equal(input.DigestUsername, 'o&m');
    assert.equal(input.DigestPassword, digestHa1('o&m', device.realm, 'Op-Pa55').toString('base64'));
    assert.deepEqual(input.Realms, ['3', '5']);
  });

  void it('reports a non-zero ReturnValue as AmtStatusError naming the method', async () => {
    respond = () => ({ xml: output('RequestStateChange', '<g:ReturnValue>5</g:ReturnValue>') });
    await assert.rejects(setWebUiEnabled(client, true), (error: unknown) => {
      assert.ok(error instanceof AmtStatusError);
      assert.equal(error.operation, 'AMT_WebUIService.RequestStateChange');
      assert.equal(error.statusName, 'INVALID_PARAMETER');
      return true;
    });
    respond = () => ({ xml: output('RequestStateChange', '<g:ReturnValue>0</g:ReturnValue>') });
    await setRedirectionState(client, 32771);
    assert.equal((seen.at(-1)?.body.RequestStateChange_INPUT as { RequestedState: string }).RequestedState, '32771');
  });

  void it('reports a SOAP fault with its subcode and reason', async () => {
    respond = () => ({
      status: 400,
      xml: envelope('<a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>b:DestinationUnreachable</a:Value></a:Subcode></a:Code>' +
        '<a:Reason><a:Text xml:lang="en-US">No route can be determined to reach the destination role defined by the WS-Addressing To.</a:Text></a:Reason></a:Fault>'),
    });
    await assert.rejects(getSetupAndConfiguration(client), (error: unknown) => {
      assert.ok(error instanceof AmtSoapFault);
      assert.equal(error.subcode, 'b:DestinationUnreachable');
      assert.match(error.reason, /No route/);
      assert.equal(error.operation, 'AMT_SetupAndConfigurationService.Get');
      return true;
    });
  });

  void it('reads the in-band OTP and provisioning state from AMT_SetupAndConfigurationService', async () => {
    respond = () => ({ xml: envelope('<g:AMT_SetupAndConfigurationService><g:ProvisioningMode>1</g:ProvisioningMode><g:ProvisioningServerOTP>b3RwLTEyMw==</g:ProvisioningServerOTP>' +
      '<g:ProvisioningState>1</g:ProvisioningState><g:ZeroTouchConfigurationEnabled>true</g:ZeroTouchConfigurationEnabled></g:AMT_SetupAndConfigurationService>') });
    assert.deepEqual(await getSetupAndConfiguration(client), { provisioningState: 1, provisioningMode: 1, provisioningServerOtp: 'b3RwLTEyMw==', zeroTouchConfigurationEnabled: true });
  });

  void it('puts Kerberos settings on the instance the device names', async () => {
    respond = (request) => ({ xml: envelope(request.action.endsWith('/Put')
      ? '<g:AMT_KerberosSettingData><g:InstanceID>Intel (r) AMT: Kerberos Settings</g:InstanceID><g:KrbEnabled>true</g:KrbEnabled></g:AMT_KerberosSettingData>'
      : '<g:AMT_KerberosSettingData><g:ElementName>Kerberos</g:ElementName><g:InstanceID>Intel (r) AMT: Kerberos Settings</g:InstanceID><g:KrbEnabled>false</g:KrbEnabled></g:AMT_KerberosSettingData>') });
    await putKerberosSettings(client, { realmName: 'AMT.TEST', keyVersion: 2, key: { kind: 'rc4', masterKey: Buffer.alloc(16, 9) } });
    const put = seen[1];
    assert.deepEqual(put.selectors, { InstanceID: 'Intel (r) AMT: Kerberos Settings' });
    const body = put.body.AMT_KerberosSettingData as Record<string, string>;
    assert.equal(body.RealmName, 'AMT.TEST');
    assert.equal(body.KeyVersion, '2');
    assert.equal(body.MasterKey, Buffer.alloc(16, 9).toString('base64'));
    assert.equal(body.KrbEnabled, 'true');
  });

  void it('refuses a DOCTYPE answer and a non-XML error page', async () => {
    respond = () => ({ xml: '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>' });
    await assert.rejects(getSetupAndConfiguration(client), DeviceXmlRejected);
    respond = () => ({ status: 503, xml: 'busy' });
    await assert.rejects(getSetupAndConfiguration(client), (error: unknown) => error instanceof UnexpectedHttpStatus && error.retryable && error.status === 503);
  });
});
