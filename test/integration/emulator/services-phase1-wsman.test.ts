// Black-box: phase 1 over WS-Management on modern firmware (docs/amt-protocol.md section 9,
// MeshCentral's Hello path) against a running emulated fleet, over real mutual TLS with real
// Digest. Requests are written by hand (support/wsmanPhase1.ts), not by wsman-messages nor the
// server's client. State is read back through the control API.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import { PT_STATUS } from '../../../src/contract/ptStatus';
import { registerServices } from '../../../src/emulator/services';
import { assertServedCertificate, digestPassword, faultOf, methodOutput, okBody, wsmanPoster, type DeviceEndpoint, type DeviceView, type WsmanPost } from './services-client';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { makeIntermediate, makeRoot, validProvisioningChain, type TestCert } from './support/testPki';
import { CIM_URI, instancesOf, issueForDeviceKey, LOCAL_TLS, REMOTE_TLS, request, selectorOf } from './support/wsmanPhase1';

const SUFFIX = 'modern.example.com';
const IP = (i: number) => `127.0.34.${i + 1}`;
const NEW_ADMIN_PASSWORD = 'Adm1n!Modern#16';
const NEW_MEBX_PASSWORD = 'Mebx#Modern2026';

let harness: Harness;
let provisioning: ReturnType<typeof validProvisioningChain>;
let siteCa: TestCert;

const view = async (index: number) => (await harness.control.get<{ firmware: DeviceView; powered: boolean }>(`/devices/${index}`)).firmware;
const checkAdmin = (index: number, password: string) => harness.control.post(`/devices/${index}/check-admin`, { username: 'admin', password });

function poster(index: number, password = MEBX_PASSWORD): WsmanPost {
  const endpoint: DeviceEndpoint = { host: IP(index), port: 16993, tls: { keyPem: provisioning.keyPem, chainPems: provisioning.chainPems }, username: 'admin', password };
  return wsmanPoster(() => endpoint);
}

/** The realm, as MeshCentral reads it first (AMT_GeneralSettings). */
async function realmOf(post: WsmanPost): Promise<string> {
  const [general] = await instancesOf(post, 'AMT_GeneralSettings');
  return general?.DigestRealm as string;
}

interface Staged {
  keyInstanceId: string;
  certificateId: string;
  issuedSha256: string;
}

/** Steps 7.5, 7.4, 7.3, 7.2 of MeshCentral's order, all staged (nothing committed). */
async function stageSetup(post: WsmanPost, hostName: string): Promise<Staged> {
  const realm = await realmOf(post);
  methodOutput(await post(request.setMebxPassword(NEW_MEBX_PASSWORD)), 'SetMEBxPassword');
  methodOutput(await post(request.setAdminAclEntryEx('admin', digestPassword('admin', realm, NEW_ADMIN_PASSWORD))), 'SetAdminAclEntryEx');
  const generated = methodOutput(await post(request.generateKeyPair(0, 2048)), 'GenerateKeyPair');
  const keyInstanceId = selectorOf(generated.KeyPair, 'InstanceID');
  const key = (await instancesOf(post, 'AMT_PublicPrivateKeyPair')).find((k) => k.InstanceID === keyInstanceId);
  assert.ok(key, 'the generated key is listed');
  const issued = issueForDeviceKey(key.DERKey as string, siteCa, `${hostName}.${SUFFIX}`);
  const added = methodOutput(await post(request.addCertificate(issued.der)), 'AddCertificate');
  const certificateId = selectorOf(added.CreatedCertificate, 'InstanceID');
  okBody(await post(request.createTlsCredentialContext(certificateId)), 'ResourceCreated');
  okBody(await post(request.putTlsSettings(REMOTE_TLS, true)), 'AMT_TLSSettingData');
  okBody(await post(request.putHostAndDomain(hostName, SUFFIX)), 'AMT_GeneralSettings');
  return { keyInstanceId, certificateId, issuedSha256: issued.sha256 };
}

before(async () => {
  provisioning = validProvisioningChain(SUFFIX);
  siteCa = makeIntermediate('Modern Site Issuing CA', makeRoot('Modern Site Root'));
  // No firmwareVersion: the fleet's default is the modern firmware.
  harness = await startHarness({ count: 3, baseIp: IP(0), controlHost: '127.0.34.250', domainSuffix: SUFFIX, trustedRootHashes: provisioning.trustedRootHashes, registerServices });
});

after(async () => {
  await harness?.close();
});

void describe('phase 1 over WS-Man on a modern device, in MeshCentral order (device 0)', () => {
  const post = poster(0);
  let staged: Staged;
  let realm: string;

  void it('reads the realm, the firmware version (CIM_SoftwareIdentity "AMT") and the provisioning state', async () => {
    realm = await realmOf(post);
    assert.match(realm, /^Digest:[0-9A-F]{32}$/);
    const identity = (await instancesOf(post, 'CIM_SoftwareIdentity', CIM_URI)).find((i) => i.InstanceID === 'AMT');
    assert.equal(identity?.VersionString, DEFAULT_FIRMWARE_VERSION.modern);
    const setup = okBody(await post(request.get('AMT_SetupAndConfigurationService')), 'AMT_SetupAndConfigurationService');
    assert.deepEqual([setup.ProvisioningState, setup.ProvisioningMode], ['1', '1']);
    assert.equal((await view(0)).phase, 'in');
  });

  void it('refuses CommitChanges while the admin account and TLS are missing (DATA_MISSING), changing nothing', async () => {
    methodOutput(await post(request.commitChanges()), 'CommitChanges', 'DATA_MISSING');
    assert.equal((await view(0)).provisioningState, 'pre');
  });

  void it('7.5 / 7.4: refusals change nothing: weak MEBx password, a digest that is not 16 bytes, a bad user name', async () => {
    methodOutput(await post(request.setMebxPassword('weakpass')), 'SetMEBxPassword', 'INVALID_PASSWORD');
    methodOutput(await post(request.setAdminAclEntryEx('admin', Buffer.alloc(8).toString('base64'))), 'SetAdminAclEntryEx', 'INVALID_PASSWORD');
    methodOutput(await post(request.setAdminAclEntryEx('a:b', digestPassword('a:b', realm, NEW_ADMIN_PASSWORD))), 'SetAdminAclEntryEx', 'INVALID_NAME');
    assert.deepEqual((await view(0)).stagedSettings, []);
  });

  void it('7.1: the clock exchange sets the device clock at once; a stale Ta0 or Tm2 < Tm1 is refused', async () => {
    methodOutput(await post(request.setHighAccuracyTimeSynch(1_000_000, 1_700_000_000, 1_700_000_001)), 'SetHighAccuracyTimeSynch', 'INVALID_PARAMETER');
    const ta0 = Number(methodOutput(await post(request.getLowAccuracyTimeSynch()), 'GetLowAccuracyTimeSynch').Ta0);
    assert.ok(Math.abs(ta0 - Date.now() / 1000) < 120, 'Ta0 is the device clock in seconds');
    methodOutput(await post(request.setHighAccuracyTimeSynch(ta0, 1_700_000_010, 1_700_000_000)), 'SetHighAccuracyTimeSynch', 'INVALID_TIME');
    const serverTime = Math.floor(Date.now() / 1000) + 7200;
    methodOutput(await post(request.setHighAccuracyTimeSynch(ta0, serverTime, serverTime)), 'SetHighAccuracyTimeSynch');
    const offset = (await view(0)).clockOffsetMs;
    assert.ok(Math.abs(offset - 7_200_000) < 60_000, `clock moved by two hours (got ${offset} ms)`);
  });

  void it('7.3: GenerateKeyPair refuses non-RSA and unsupported lengths without touching the key store', async () => {
    methodOutput(await post(request.generateKeyPair(1, 2048)), 'GenerateKeyPair', 'INVALID_PARAMETER');
    methodOutput(await post(request.generateKeyPair(0, 1024)), 'GenerateKeyPair', 'INVALID_PARAMETER');
    methodOutput(await post(request.generateKeyPair(0, 4096)), 'GenerateKeyPair', 'INVALID_PARAMETER');
    assert.deepEqual((await view(0)).keyStore.keyPairs, []);
  });

  void it('refuses a TLS credential context for a certificate the device does not hold, staging nothing', async () => {
    const fault = faultOf(await post(request.createTlsCredentialContext('Intel(r) AMT Certificate: Handle: 999')));
    assert.deepEqual([fault.name, fault.detail], ['InvalidRepresentation', 'InvalidValues']);
    assert.match(fault.reason, /INVALID_HANDLE/);
    assert.deepEqual(await instancesOf(post, 'AMT_TLSCredentialContext'), []);
    assert.equal((await view(0)).stagedSettings.includes('tlsCertificateHandle'), false);
  });

  void it('stages MEBx password, admin account, TLS key + certificate, TLS enabled, host and domain: visible as staged, nothing committed', async () => {
    staged = await stageSetup(post, 'pc-modern');
    const key = (await instancesOf(post, 'AMT_PublicPrivateKeyPair')).find((k) => k.InstanceID === staged.keyInstanceId);
    const publicKey = crypto.createPublicKey({ key: Buffer.from(key?.DERKey as string, 'base64'), format: 'der', type: 'pkcs1' });
    assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, 2048, 'DERKey is the PKCS#1 public key');
    const [context] = await instancesOf(post, 'AMT_TLSCredentialContext');
    assert.equal(selectorOf(context?.ElementInContext, 'InstanceID'), staged.certificateId);
    assert.equal(selectorOf(context?.ElementProvidingContext, 'ElementName'), 'TLSProtocolEndpointInstances Collection');
    const tls = await instancesOf(post, 'AMT_TLSSettingData');
    assert.deepEqual(tls.map((t) => [t.InstanceID, t.Enabled]), [[REMOTE_TLS, 'true'], [LOCAL_TLS, 'false']]);
    const general = okBody(await post(request.get('AMT_GeneralSettings')), 'AMT_GeneralSettings');
    assert.deepEqual([general.HostName, general.DomainName], ['pc-modern', SUFFIX], 'Get shows the staged names');

    const state = await view(0);
    assert.deepEqual([...state.stagedSettings].sort(), ['admin', 'domainName', 'hostName', 'mebxPassword', 'tlsCertificateHandle', 'tlsEnabled', 'tlsKeyHandle']);
    assert.deepEqual([state.provisioningState, state.hostName, state.domainName, state.tls.enabled, state.tls.certificateHandle, state.mebx.changed], ['pre', '', '', false, null, false]);
    assert.equal(state.keyStore.keyPairs.length, 1, 'the key store is immediate');
    assert.deepEqual(await checkAdmin(0, MEBX_PASSWORD), { matches: true }, 'the old admin password still works until commit');
  });

  void it('refuses a second credential context (AlreadyExists), deleting the TLS key or the context TLS uses, and a second MEBx change', async () => {
    assert.equal(faultOf(await post(request.createTlsCredentialContext(staged.certificateId))).name, 'AlreadyExists');
    assert.equal(faultOf(await post(request.delete('AMT_PublicPrivateKeyPair', { InstanceID: staged.keyInstanceId }))).name, 'AccessDenied');
    assert.equal(faultOf(await post(request.delete('AMT_TLSCredentialContext', { ElementInContext: staged.certificateId }))).name, 'AccessDenied', 'TLS is enabled');
    methodOutput(await post(request.setMebxPassword('Mebx#Second2026')), 'SetMEBxPassword', 'NOT_PERMITTED');
    assert.equal((await view(0)).keyStore.keyPairs.length, 1);
  });

  void it('an injected AMT_SetupAndConfigurationService.CommitChanges failure answers that ReturnValue and commits nothing', async () => {
    await harness.control.post('/devices/0/faults', { failOperation: { operation: 'AMT_SetupAndConfigurationService.CommitChanges', status: PT_STATUS.NOT_READY, times: 1 } });
    methodOutput(await post(request.commitChanges()), 'CommitChanges', 'NOT_READY');
    const state = await view(0);
    assert.deepEqual([state.phase, state.provisioningState, state.hostName], ['in', 'pre', '']);
  });

  void it('7.6: CommitChanges -> post-provisioning; TLS serves the issued certificate, admin is the new password, names and MEBx committed', async () => {
    methodOutput(await post(request.commitChanges()), 'CommitChanges');
    await assertServedCertificate(IP(0), staged.issuedSha256);
    const state = await view(0);
    assert.deepEqual([state.provisioningState, state.hostName, state.domainName, state.tls.enabled], ['post', 'pc-modern', SUFFIX, true]);
    assert.deepEqual(state.stagedSettings, []);
    assert.equal(state.mebx.passwordSha256, crypto.createHash('sha256').update(NEW_MEBX_PASSWORD).digest('hex'));
    assert.deepEqual(await checkAdmin(0, NEW_ADMIN_PASSWORD), { matches: true });
    const after = poster(0, NEW_ADMIN_PASSWORD);
    const setup = okBody(await after(request.get('AMT_SetupAndConfigurationService')), 'AMT_SetupAndConfigurationService');
    assert.equal(setup.ProvisioningState, '2');
    methodOutput(await after(request.commitChanges()), 'CommitChanges', 'INVALID_PT_MODE');
  });

  void it('the committed state survives an emulator restart', async () => {
    await harness.restart();
    await assertServedCertificate(IP(0), staged.issuedSha256);
    const state = await view(0);
    assert.deepEqual([state.provisioningState, state.hostName, state.tls.enabled], ['post', 'pc-modern', true]);
    assert.deepEqual(await checkAdmin(0, NEW_ADMIN_PASSWORD), { matches: true });
  });

  void it('post-provisioning, a Put of the credential context switches the served certificate at once; a bad one changes nothing', async () => {
    const after = poster(0, NEW_ADMIN_PASSWORD);
    const refused = faultOf(await after(request.putTlsCredentialContext(staged.certificateId, 'Intel(r) AMT Certificate: Handle: 999')));
    assert.equal(refused.name, 'InvalidRepresentation');
    await assertServedCertificate(IP(0), staged.issuedSha256);
    const generated = methodOutput(await after(request.generateKeyPair(0, 2048)), 'GenerateKeyPair');
    const key = (await instancesOf(after, 'AMT_PublicPrivateKeyPair')).find((k) => k.InstanceID === selectorOf(generated.KeyPair, 'InstanceID'));
    assert.ok(key);
    const renewed = issueForDeviceKey(key.DERKey as string, siteCa, `pc-modern.${SUFFIX}`);
    const added = selectorOf(methodOutput(await after(request.addCertificate(renewed.der)), 'AddCertificate').CreatedCertificate, 'InstanceID');
    okBody(await after(request.putTlsCredentialContext(staged.certificateId, added)), 'AMT_TLSCredentialContext');
    await assertServedCertificate(IP(0), renewed.sha256);
    const [context] = await instancesOf(after, 'AMT_TLSCredentialContext');
    assert.equal(selectorOf(context.ElementInContext, 'InstanceID'), added);
    // The predecessor is no longer in use: it and its key may go now.
    assert.equal((await after(request.delete('AMT_PublicKeyCertificate', { InstanceID: staged.certificateId }))).status, 200);
    assert.equal((await after(request.delete('AMT_PublicPrivateKeyPair', { InstanceID: staged.keyInstanceId }))).status, 200);
    assert.equal((await view(0)).keyStore.keyPairs.length, 1);
  });

  void it('PartialUnprovision keeps the admin account and names; Unprovision then restores factory state', async () => {
    const after = poster(0, NEW_ADMIN_PASSWORD);
    methodOutput(await after(request.unprovision(2)), 'Unprovision', 'INVALID_PARAMETER');
    assert.equal((await view(0)).provisioningState, 'post');
    methodOutput(await after(request.partialUnprovision()), 'PartialUnprovision');
    let state = await view(0);
    assert.deepEqual([state.provisioningState, state.hostName, state.tls.certificateHandle, state.keyStore.keyPairs.length], ['pre', 'pc-modern', null, 0]);
    assert.deepEqual(await checkAdmin(0, NEW_ADMIN_PASSWORD), { matches: true });
    // Partial unprovision keeps the admin account: the same credentials start a new setup session.
    methodOutput(await after(request.partialUnprovision()), 'PartialUnprovision', 'INVALID_PT_MODE');
    methodOutput(await after(request.unprovision()), 'Unprovision');
    state = await view(0);
    assert.deepEqual([state.provisioningState, state.hostName, state.admin.setByServer], ['pre', '', false]);
    assert.deepEqual(await checkAdmin(0, NEW_MEBX_PASSWORD), { matches: true }, 'full unprovision: admin + the (kept) MEBx password');
  });
});

void describe('power loss during CommitChanges over WS-Man (device 1)', () => {
  void it('drops the connection unanswered; the device comes back pre-provisioning with nothing committed', async () => {
    const post = poster(1);
    await stageSetup(post, 'pc-lost');
    await harness.control.post('/devices/1/faults', { losePowerDuringCommit: { point: 'before-write', restoreAfterMs: 100 } });
    await assert.rejects(post(request.commitChanges()), (err: Error & { code?: string }) => /socket hang up|ECONNRESET/.test(`${err.code} ${err.message}`));
    let powered = false;
    for (let i = 0; i < 50 && !powered; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      powered = (await harness.control.get<{ powered: boolean }>('/devices/1')).powered;
    }
    assert.ok(powered, 'power came back');
    const state = await view(1);
    assert.deepEqual([state.provisioningState, state.phase, state.hostName, state.tls.enabled, state.mebx.changed], ['pre', 'pre', '', false, false]);
    assert.deepEqual(state.stagedSettings, []);
    assert.deepEqual(await checkAdmin(1, MEBX_PASSWORD), { matches: true });
  });
});

void describe('faults by operation name (device 2)', () => {
  void it('<Class>.<Method> and <Class>.<Create> faults answer without running; the next call runs', async () => {
    const post = poster(2);
    await harness.control.post('/devices/2/faults', { failOperation: { operation: 'AMT_PublicKeyManagementService.GenerateKeyPair', status: PT_STATUS.INTERNAL_ERROR, times: 1 } });
    methodOutput(await post(request.generateKeyPair(0, 2048)), 'GenerateKeyPair', 'INTERNAL_ERROR');
    assert.deepEqual((await view(2)).keyStore.keyPairs, []);
    await harness.control.post('/devices/2/faults', { failOperation: { operation: 'AMT_TLSCredentialContext.Create', status: PT_STATUS.INTERNAL_ERROR, times: 1 } });
    const fault = faultOf(await post(request.createTlsCredentialContext('Intel(r) AMT Certificate: Handle: 1')));
    assert.equal(fault.name, 'InternalError');
    assert.match(fault.reason, /INTERNAL_ERROR/);
    methodOutput(await post(request.generateKeyPair(0, 3072)), 'GenerateKeyPair', 'SUCCESS');
    assert.equal((await view(2)).keyStore.keyPairs.length, 1, 'AMT 16 generates 3072-bit keys');
  });

  void it('Delete of the credential context (TLS off) drops the selection; then the key may be deleted too', async () => {
    const post = poster(2);
    const [key] = await instancesOf(post, 'AMT_PublicPrivateKeyPair');
    const keyId = key?.InstanceID as string;
    const issued = issueForDeviceKey(key?.DERKey as string, siteCa, `pc-delete.${SUFFIX}`);
    const certificateId = selectorOf(methodOutput(await post(request.addCertificate(issued.der)), 'AddCertificate').CreatedCertificate, 'InstanceID');
    const created = okBody(await post(request.createTlsCredentialContext(certificateId)), 'ResourceCreated');
    assert.equal(selectorOf(created, 'ElementInContext'), certificateId);
    assert.equal(faultOf(await post(request.delete('AMT_PublicPrivateKeyPair', { InstanceID: keyId }))).name, 'AccessDenied', 'the staged TLS key');
    assert.equal((await post(request.delete('AMT_TLSCredentialContext', { ElementInContext: certificateId }))).status, 200);
    assert.deepEqual(await instancesOf(post, 'AMT_TLSCredentialContext'), []);
    assert.equal((await post(request.delete('AMT_PublicPrivateKeyPair', { InstanceID: keyId }))).status, 200);
    assert.deepEqual(await instancesOf(post, 'AMT_PublicPrivateKeyPair'), []);
    assert.deepEqual((await view(2)).keyStore.keyPairs, []);
  });
});
