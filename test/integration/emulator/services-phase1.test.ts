// Black-box: the phase 1 EOI SOAP services (docs/amt-protocol.md section 5) of a running emulated
// fleet, called with `soap` clients generated from the project WSDLs, over real mutual TLS
// with real Digest. State is read back through the control API.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import { EOI_NAMESPACES, EOI_PATHS } from '../../../src/contract/namespaces';
import { PT_STATUS } from '../../../src/contract/ptStatus';
import { registerServices } from '../../../src/emulator/services';
import { assertStatus, digestPassword, eoiClient, issueFromRequest, assertServedCertificate, type DeviceEndpoint, type DeviceView, type SoapCall } from './services-client';
import { digestRequest } from './support/deviceClient';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { makeIntermediate, makeRoot, validProvisioningChain, type TestCert } from './support/testPki';

const SUFFIX = 'phase1.example.com';
const FLEET_IP = '127.0.20.1';
const OLD_FIRMWARE_IP = '127.0.21.1';
const NEW_ADMIN_PASSWORD = 'Adm1n!Rotated#42';

let harness: Harness;
let oldFirmware: Harness;
let provisioning: ReturnType<typeof validProvisioningChain>;
let siteCa: TestCert;


const view = (h: Harness, index: number) => h.control.get<{ firmware: DeviceView; powered: boolean }>(`/devices/${index}`);

function endpoint(ip: string, username = 'admin', password = MEBX_PASSWORD): DeviceEndpoint {
  return { host: ip, port: 16993, tls: { keyPem: provisioning.keyPem, chainPems: provisioning.chainPems }, username, password };
}

interface Device {
  endpoint: DeviceEndpoint;
  security: SoapCall;
  time: SoapCall;
  network: SoapCall;
  certs: SoapCall;
}

async function device(ip: string): Promise<Device> {
  const current = endpoint(ip);
  const at = () => current;
  return {
    endpoint: current,
    security: await eoiClient('SecurityAdministration', at),
    time: await eoiClient('NetworkTime', at),
    network: await eoiClient('NetworkAdministration', at),
    certs: await eoiClient('CertStore', at),
  };
}

before(async () => {
  provisioning = validProvisioningChain(SUFFIX);
  const root = makeRoot('Phase1 Site Root');
  siteCa = makeIntermediate('Phase1 Site Issuing CA', root);
  const common = { domainSuffix: SUFFIX, trustedRootHashes: provisioning.trustedRootHashes, registerServices };
  // EOI SOAP is early firmware's phase 1 (AMT 9+ has none): pin the early default.
  harness = await startHarness({ ...common, count: 3, baseIp: FLEET_IP, controlHost: '127.0.20.250', firmwareVersion: DEFAULT_FIRMWARE_VERSION.early });
  oldFirmware = await startHarness({ ...common, count: 1, baseIp: OLD_FIRMWARE_IP, controlHost: '127.0.21.250', firmwareVersion: '3.0.2' });
});

after(async () => {
  await harness?.close();
  await oldFirmware?.close();
});

void describe('phase 1 on one device, in seed order (device 0)', () => {
  let d: Device;
  let keyPairHandle: number;
  let certificateHandle: number;
  let caHandle: number;
  let realm: string;
  let issuedDer: string;

  before(async () => {
    d = await device(FLEET_IP);
    realm = (await harness.control.get<{ firmware: { digestRealm: string } }>('/devices/0')).firmware.digestRealm;
  });

  void it('reads core version, provisioning mode and state (the first authenticated request starts the setup session)', async () => {
    const version = await d.security('GetCoreVersion');
    assertStatus(version, 'SUCCESS');
    assert.equal(version.Version, DEFAULT_FIRMWARE_VERSION.early);
    assert.equal((await d.security('GetProvisioningMode')).ProvisioningMode, 1);
    assert.equal((await d.security('GetProvisioningState')).ProvisioningState, 1);
    assert.equal((await view(harness, 0)).firmware.phase, 'in');
  });

  void it('refuses CommitChanges while essential data is missing', async () => {
    assertStatus(await d.security('CommitChanges'), 'DATA_MISSING');
    assert.equal((await view(harness, 0)).firmware.provisioningState, 'pre');
  });

  void it('7.1: GetLowAccuracyTimeSynch returns Ta0; SetHighAccuracyTimeSynch sets the device clock', async () => {
    const { Ta0, StatusCode } = (await d.time('GetLowAccuracyTimeSynch')) as { Ta0: number; StatusCode: number };
    assert.equal(StatusCode, 0);
    assert.ok(Math.abs(Ta0 - Date.now() / 1000) < 120, 'Ta0 is the device clock in seconds since 1970');
    const serverTime = Math.floor(Date.now() / 1000) + 7200; // the server's clock is two hours ahead
    assertStatus(await d.time('SetHighAccuracyTimeSynch', { Ta0, Tm1: serverTime, Tm2: serverTime }), 'SUCCESS');
    const offset = (await view(harness, 0)).firmware.clockOffsetMs;
    assert.ok(Math.abs(offset - 7_200_000) < 60_000, `device clock moved by the server's offset (got ${offset} ms)`);
  });

  void it('7.1: refuses a Ta0 the device did not just issue, and Tm2 before Tm1', async () => {
    assertStatus(await d.time('SetHighAccuracyTimeSynch', { Ta0: 1_000_000, Tm1: 1_700_000_000, Tm2: 1_700_000_001 }), 'INVALID_PARAMETER');
    const { Ta0 } = (await d.time('GetLowAccuracyTimeSynch')) as { Ta0: number };
    assertStatus(await d.time('SetHighAccuracyTimeSynch', { Ta0, Tm1: 1_700_000_010, Tm2: 1_700_000_000 }), 'INVALID_TIME');
  });

  void it('7.2: refuses host and domain names that break DNS rules, changing nothing', async () => {
    for (const bad of ['-pc', 'pc-', 'pc_01', 'pc.example', 'a'.repeat(64), '']) {
      assertStatus(await d.network('SetHostName', { HostName: bad }), 'INVALID_NAME');
    }
    for (const bad of ['example..com', '.example.com', 'example.com.', `${'a'.repeat(64)}.com`, 'bad_label.com', 'example.123', '']) {
      assertStatus(await d.network('SetDomainName', { DomainName: bad }), 'INVALID_DOMAIN_NAME');
    }
    const state = (await view(harness, 0)).firmware;
    assert.equal(state.hostName, '');
    assert.equal(state.stagedSettings.includes('hostName'), false);
  });

  void it('7.2: sets host name and domain (staged until commit, read back by Get)', async () => {
    assertStatus(await d.network('SetHostName', { HostName: 'pc-0042' }), 'SUCCESS');
    assertStatus(await d.network('SetDomainName', { DomainName: SUFFIX }), 'SUCCESS');
    assert.equal((await d.network('GetHostName')).HostName, 'pc-0042');
    assert.equal((await d.network('GetDomainName')).DomainName, SUFFIX);
    const state = (await view(harness, 0)).firmware;
    assert.deepEqual([state.hostName, state.domainName], ['', ''], 'nothing committed yet');
    assert.ok(state.stagedSettings.includes('hostName') && state.stagedSettings.includes('domainName'));
  });

  void it('7.3: GenerateKeyPair refuses non-RSA and non-2048 keys, then makes a key on the device', async () => {
    assertStatus(await d.certs('GenerateKeyPair', { KeyAlgorithm: 1, KeyLength: 2048 }), 'INVALID_PARAMETER');
    assertStatus(await d.certs('GenerateKeyPair', { KeyAlgorithm: 0, KeyLength: 1024 }), 'INVALID_PARAMETER');
    const result = await d.certs('GenerateKeyPair', { KeyAlgorithm: 0, KeyLength: 2048 });
    assertStatus(result, 'SUCCESS');
    keyPairHandle = result.KeyPairHandle as number;
    assert.deepEqual((await view(harness, 0)).firmware.keyStore.keyPairs.map((k) => k.handle), [keyPairHandle]);
  });

  void it('7.3: GetPKCS10Request signs a request for the FQDN with the device key; refuses unknown handles and bad DNs', async () => {
    assertStatus(await d.certs('GetPKCS10Request', { KeyPairHandle: keyPairHandle + 100, SubjectDN: 'CN=x' }), 'INVALID_HANDLE');
    for (const dn of ['pc-0042', 'O=NoCommonName', 'CN=', 'XX=foo,CN=bar']) {
      assertStatus(await d.certs('GetPKCS10Request', { KeyPairHandle: keyPairHandle, SubjectDN: dn }), 'INVALID_PARAMETER');
    }
    const result = await d.certs('GetPKCS10Request', { KeyPairHandle: keyPairHandle, SubjectDN: `CN=pc-0042.${SUFFIX},O=Phase One` });
    assertStatus(result, 'SUCCESS');
    const csr = forge.pki.certificationRequestFromAsn1(forge.asn1.fromDer(Buffer.from(result.CertificateRequest as string, 'base64').toString('binary')));
    assert.equal((csr.subject.getField('CN') as { value: string }).value, `pc-0042.${SUFFIX}`);
    assert.ok(csr.verify());
    const issued = issueFromRequest(result.CertificateRequest as string, siteCa);
    issuedDer = issued.der;
    const added = await d.certs('AddCertificate', { CertificateBlob: issued.der });
    assertStatus(added, 'SUCCESS');
    certificateHandle = added.CertificateHandle as number;
    const ca = await d.certs('AddCertificate', { CertificateBlob: siteCa.der.toString('base64') });
    caHandle = ca.CertificateHandle as number;
    assertStatus(await d.certs('AddCertificate', { CertificateBlob: issued.der }), 'DUPLICATE');
    assertStatus(await d.certs('AddCertificate', { CertificateBlob: Buffer.from('not a certificate').toString('base64') }), 'INVALID_CERT');
    assert.equal((await view(harness, 0)).firmware.keyStore.certificates.length, 2);
  });

  void it('7.3: SetTlsEnabled needs a TLS credential; SetTLSKeyAndCertificate refuses CA certs, strangers and unknown handles', async () => {
    assertStatus(await d.security('SetTlsEnabled', { Enabled: true }), 'CERTIFICATE_NOT_READY');
    assertStatus(await d.security('SetTLSKeyAndCertificate', { KeyPairHandle: keyPairHandle, CertificateHandle: caHandle }), 'INVALID_CERT');
    assertStatus(await d.security('SetTLSKeyAndCertificate', { KeyPairHandle: keyPairHandle, CertificateHandle: 999 }), 'INVALID_HANDLE');
    const otherKey = (await d.certs('GenerateKeyPair', { KeyAlgorithm: 0, KeyLength: 2048 })).KeyPairHandle as number;
    assertStatus(await d.security('SetTLSKeyAndCertificate', { KeyPairHandle: otherKey, CertificateHandle: certificateHandle }), 'CERT_KEY_NOT_MATCH');
    assertStatus(await d.security('SetTLSKeyAndCertificate', { KeyPairHandle: keyPairHandle, CertificateHandle: certificateHandle }), 'SUCCESS');
    assertStatus(await d.security('SetTlsEnabled', { Enabled: true }), 'SUCCESS');
    const state = (await view(harness, 0)).firmware;
    assert.ok(['tlsKeyHandle', 'tlsCertificateHandle', 'tlsEnabled'].every((s) => state.stagedSettings.includes(s)));
    assert.equal(state.tls.certificateHandle, null, 'staged, not committed');
  });

  void it('7.4: SetAdminAclEntry refuses bad user names and digest hashes that are not 16 bytes', async () => {
    for (const name of ['a'.repeat(17), 'bad:name', 'with space', 'x<y', '']) {
      assertStatus(await d.security('SetAdminAclEntry', { Username: name, DigestPassword: digestPassword('admin', realm, NEW_ADMIN_PASSWORD) }), 'INVALID_NAME');
    }
    assertStatus(await d.security('SetAdminAclEntry', { Username: 'admin', DigestPassword: crypto.randomBytes(15).toString('base64') }), 'INVALID_PASSWORD');
    assert.equal((await view(harness, 0)).firmware.stagedSettings.includes('admin'), false);
  });

  void it('7.4: SetAdminAclEntry stages the new admin hash (the old password keeps working until commit)', async () => {
    assertStatus(await d.security('SetAdminAclEntry', { Username: 'admin', DigestPassword: digestPassword('admin', realm, NEW_ADMIN_PASSWORD) }), 'SUCCESS');
    assert.ok((await view(harness, 0)).firmware.stagedSettings.includes('admin'));
    assertStatus(await d.security('GetProvisioningState'), 'SUCCESS');
  });

  void it('7.5: SetMEBxPassword applies AMT\'s strong password rule, then "Default Password Only"', async () => {
    for (const weak of ['Sh0rt!', 'alllower1!', 'ALLUPPER1!', 'NoDigits!!', 'NoSymbol12', 'Under_score1', 'Has:Colon1!', 'Has,Comma1!', 'Has"Quote1!', `L0ng!${'x'.repeat(28)}`]) {
      assertStatus(await d.security('SetMEBxPassword', { Password: weak }), 'INVALID_PASSWORD');
    }
    assertStatus(await d.security('SetMEBxPassword', { Password: 'Mebx#New2024' }), 'SUCCESS');
    assertStatus(await d.security('SetMEBxPassword', { Password: 'Mebx#Again2024' }), 'NOT_PERMITTED');
  });

  void it('7.6: CommitChanges moves to post-provisioning, applies the staged setup; the device serves the issued certificate and the new admin password', async () => {
    assertStatus(await d.security('CommitChanges'), 'SUCCESS');
    await assertServedCertificate(FLEET_IP, crypto.createHash('sha256').update(Buffer.from(issuedDer, 'base64')).digest('hex'));
    const state = (await view(harness, 0)).firmware;
    assert.equal(state.provisioningState, 'post');
    assert.deepEqual([state.hostName, state.domainName], ['pc-0042', SUFFIX]);
    assert.deepEqual([state.tls.keyHandle, state.tls.certificateHandle, state.tls.enabled], [keyPairHandle, certificateHandle, true]);
    assert.equal(state.mebx.changed, true);
    assert.equal(state.mebx.passwordSha256, crypto.createHash('sha256').update('Mebx#New2024').digest('hex'));
    assert.deepEqual(await harness.control.post('/devices/0/check-admin', { username: 'admin', password: NEW_ADMIN_PASSWORD }), { matches: true });
    d.endpoint.password = NEW_ADMIN_PASSWORD;
    assertStatus(await d.security('GetProvisioningState'), 'SUCCESS');
    assert.equal((await d.security('GetProvisioningState')).ProvisioningState, 2);
    assertStatus(await d.security('CommitChanges'), 'INVALID_PT_MODE');
  });
});

void describe('power loss during CommitChanges (device 1)', () => {
  let d: Device;
  before(async () => {
    d = await device('127.0.20.2');
    const realm = (await harness.control.get<{ firmware: { digestRealm: string } }>('/devices/1')).firmware.digestRealm;
    assertStatus(await d.network('SetHostName', { HostName: 'pc-lost' }), 'SUCCESS');
    assertStatus(await d.security('SetAdminAclEntry', { Username: 'admin', DigestPassword: digestPassword('admin', realm, NEW_ADMIN_PASSWORD) }), 'SUCCESS');
    // Enterprise mode: commit also needs a TLS credential and TLS enabled.
    const key = (await d.certs('GenerateKeyPair', { KeyAlgorithm: 0, KeyLength: 2048 })).KeyPairHandle as number;
    const csr = (await d.certs('GetPKCS10Request', { KeyPairHandle: key, SubjectDN: `CN=pc-lost.${SUFFIX}` })).CertificateRequest as string;
    const cert = (await d.certs('AddCertificate', { CertificateBlob: issueFromRequest(csr, siteCa).der })).CertificateHandle as number;
    assertStatus(await d.security('SetTLSKeyAndCertificate', { KeyPairHandle: key, CertificateHandle: cert }), 'SUCCESS');
    assertStatus(await d.security('SetTlsEnabled', { Enabled: true }), 'SUCCESS');
  });

  void it('drops the connection unanswered and leaves the device pre-provisioning with nothing committed', async () => {
    await harness.control.post('/devices/1/faults', { losePowerDuringCommit: { point: 'before-write' } });
    await assert.rejects(d.security('CommitChanges'), (err: Error & { code?: string }) => /socket hang up|ECONNRESET/.test(`${err.code} ${err.message}`));
    const off = await view(harness, 1);
    assert.equal(off.powered, false);
    await harness.control.post('/devices/1/power', { state: 'on' });
    const state = (await view(harness, 1)).firmware;
    assert.equal(state.provisioningState, 'pre');
    assert.equal(state.phase, 'pre');
    assert.equal(state.hostName, '', 'the staged host name died with the power');
    assert.deepEqual(state.stagedSettings, []);
    assert.deepEqual(await harness.control.post('/devices/1/check-admin', { username: 'admin', password: MEBX_PASSWORD }), { matches: true });
  });
});

void describe('fault injection and hostile requests (device 2)', () => {
  let d: Device;
  const url = EOI_PATHS.NetworkAdministration;
  const ns = EOI_NAMESPACES.NetworkAdministration;
  const envelope = (inner: string, prolog = '', envNs = 'http://schemas.xmlsoap.org/soap/envelope/') =>
    `<?xml version="1.0"?>${prolog}<s:Envelope xmlns:s="${envNs}"><s:Body>${inner}</s:Body></s:Envelope>`;
  const post = (body: string, headers: Record<string, string> = {}) =>
    digestRequest({ host: '127.0.20.3', port: 16993, tls: d.endpoint.tls, path: url, body, headers: { 'Content-Type': 'text/xml; charset=utf-8', ...headers } }, 'admin', MEBX_PASSWORD);
  const faultString = (body: string) => /<faultcode>([^<]*)<\/faultcode><faultstring>([^<]*)</.exec(body)?.slice(1) ?? [];

  before(async () => {
    d = await device('127.0.20.3');
  });

  void it('a failed operation answers the injected status, changes nothing, and the next call runs', async () => {
    await harness.control.post('/devices/2/faults', { failOperation: { operation: 'SetHostName', status: PT_STATUS.INTERNAL_ERROR, times: 1 } });
    assertStatus(await d.network('SetHostName', { HostName: 'pc-fault' }), 'INTERNAL_ERROR');
    assert.equal((await d.network('GetHostName')).HostName, '');
    assertStatus(await d.network('SetHostName', { HostName: 'pc-fault' }), 'SUCCESS');
    assert.equal((await d.network('GetHostName')).HostName, 'pc-fault');
  });

  void it('an injected CommitChanges failure keeps the device in-provisioning', async () => {
    await harness.control.post('/devices/2/faults', { failOperation: { operation: 'CommitChanges', status: PT_STATUS.NOT_READY, times: 1 } });
    assertStatus(await d.security('CommitChanges'), 'NOT_READY');
    assert.equal((await view(harness, 2)).firmware.phase, 'in');
  });

  void it('refuses a DOCTYPE, with or without entity references, and runs nothing', async () => {
    const op = `<SetHostName xmlns="${ns}"><HostName>&h;</HostName></SetHostName>`;
    const withEntity = await post(envelope(op, '<!DOCTYPE s [<!ENTITY h "pc-entity">]>'));
    assert.equal(withEntity.response.status, 400);
    const declaredOnly = await post(envelope(`<SetHostName xmlns="${ns}"><HostName>pc-doctype</HostName></SetHostName>`, '<!DOCTYPE s [<!ENTITY h "x">]>'));
    assert.equal(declaredOnly.response.status, 400);
    assert.equal((await d.network('GetHostName')).HostName, 'pc-fault');
  });

  void it('answers SOAP faults for malformed XML, SOAP 1.2, unknown operations, foreign namespaces, wrong SOAPAction and extra elements', async () => {
    const good = `<SetHostName xmlns="${ns}"><HostName>pc-x</HostName></SetHostName>`;
    const cases: [string, Record<string, string>, string, RegExp][] = [
      [envelope('<SetHostName><unclosed>'), {}, 'soap:Client', /not well-formed/],
      [envelope(good, '', 'http://www.w3.org/2003/05/soap-envelope'), {}, 'soap:VersionMismatch', /SOAP 1.1/],
      [envelope(`<SetTlsEnabled xmlns="${ns}"><Enabled>true</Enabled></SetTlsEnabled>`), {}, 'soap:Client', /not an operation of NetworkAdministration/],
      [envelope(`<SetHostName xmlns="urn:other"><HostName>pc-x</HostName></SetHostName>`), {}, 'soap:Client', /not an operation/],
      [envelope(good), { SOAPAction: `"${ns}#SetDomainName"` }, 'soap:Client', /does not match/],
      [envelope(`<SetHostName xmlns="${ns}"><HostName>pc-x</HostName><Extra>1</Extra></SetHostName>`), {}, 'soap:Client', /unexpected element Extra/],
      [envelope(`<SetHostName xmlns="${ns}"/>`), {}, 'soap:Client', /missing element HostName/],
    ];
    for (const [body, headers, code, reason] of cases) {
      const { response } = await post(body, headers);
      assert.equal(response.status, 500, body);
      const [faultcode, text] = faultString(response.body);
      assert.equal(faultcode, code, body);
      assert.match(text ?? '', reason);
    }
    assert.equal((await d.network('GetHostName')).HostName, 'pc-fault');
  });
});

void describe('MEBx password on firmware that cannot change it', () => {
  void it('answers UNSUPPORTED on firmware older than 3.2.1', async () => {
    const d = await device(OLD_FIRMWARE_IP);
    assertStatus(await d.security('SetMEBxPassword', { Password: 'Mebx#New2024' }), 'UNSUPPORTED');
    assert.equal((await view(oldFirmware, 0)).firmware.stagedSettings.includes('mebxPassword'), false);
  });
});
