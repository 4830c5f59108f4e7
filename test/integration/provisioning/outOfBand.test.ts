// Out-of-band provisioning end to end: an emulated device sends Hellos, the listener starts
// its run, the worker drives TLS, Digest, the AD account, phase 1 (EOI SOAP on early firmware,
// WS-Man on modern) and phase 2 against the device, and the test then reads the device's
// firmware (control API), the directory and the store. The tests that assert that state run
// once per firmware family; failure paths that end before phase 1 run on modern firmware only.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DeviceTlsAgent } from '../../../src/amt/deviceTls';
import { DigestSession } from '../../../src/amt/digestClient';
import { UnexpectedHttpStatus } from '../../../src/amt/errors';
import { EoiClients } from '../../../src/amt/soapClients';
import { DEFAULT_FIRMWARE_VERSION, type FirmwareFamily } from '../../../src/contract/firmwareFamilies';
import { aesStringToKey, computerAccountSalt, rc4HmacKey, sidFromString } from '../../../src/directory';
import { SecretValue } from '../../../src/site/settings';
import { statusQuery } from '../../../src/workflows/definitions';
import { withAdminClient } from '../../support/ad';
import { useProvisioningStacks, type ProvisioningStack } from '../../support/provisioningStack';
import { findSecrets, historySecretsScan } from '../../support/secretScan';
import { waitUntil } from '../../support/waitUntil';

interface FirmwareView {
  summary: { phase: string };
  firmware: {
    provisioningState: string;
    hostName: string;
    domainName: string;
    mebx: { changed: boolean; passwordSha256: string };
    userAcl: { digestUsername?: string; kerberosUserSid?: string; realms: number[]; accessPermission: number }[];
    features: { ping: boolean; rmcpPing: boolean; webUi: boolean; sol: boolean; ider: boolean };
    powerScheme: string | null;
    kerberos: { realm: string; keyVersion: number; enabled: boolean; encryption: string; keys: Record<string, string> } | null;
    wirelessProfiles: { instanceId: string; properties: Record<string, unknown> }[];
    ieee8021x: { properties: Record<string, unknown> } | null;
    tls: { certificateHandle: number | null; enabled: boolean; selfSigned: { certificatePem: string } };
    keyStore: { certificates: { handle: number; pem: string }[] };
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Each family's devices on their own /24. */
const FAMILY_NET: Record<FirmwareFamily, string> = { modern: '127.0.41', early: '127.0.45' };
const { stack: startStack } = useProvisioningStacks();

/** Asks the device for its core version over EOI SOAP as its new admin: modern firmware has no EOI service. */
async function eoiCoreVersion(s: ProvisioningStack, host: string, password: string): Promise<string> {
  const agent = new DeviceTlsAgent({ host, clientCredential: { chainPem: s.pki.provisioning.chainPem, privateKeyPem: s.pki.provisioning.keyPem }, identity: {} });
  try {
    return await (await EoiClients.connect(new DigestSession(agent, { username: 'admin', password }))).getCoreVersion();
  } finally {
    agent.destroy();
  }
}

for (const family of ['modern', 'early'] as const) describe(`out-of-band provisioning end to end, ${family} firmware (AMT ${DEFAULT_FIRMWARE_VERSION[family]})`, () => {
  const firmwareVersion = DEFAULT_FIRMWARE_VERSION[family];
  const ip = (host: number): string => `${FAMILY_NET[family]}.${host}`;
  const stack: typeof startStack = (t, options) => startStack(t, { firmwareVersion, ...options });

  test('an imported device is provisioned: firmware, directory and store all hold the configured state', async (t) => {
    const secrets = {
      helpdesk: 'Help!desk2024', wifi: 'correct horse battery', radius: 'Rad1us!pass', mebx: 'New!Mebx2024',
    };
    const s = await stack(t, {
      baseIp: ip(1),
      amt: {
        configMgrBehaviour: 'SP2', pingResponse: true, webConsole: false, serialOverLan: true, ideRedirection: false, powerScheme: 3,
        userAcls: [
          { username: 'helpdesk', password: new SecretValue('acl-user-password', secrets.helpdesk), realms: ['Redirection', 'HardwareAsset'], access: 'network' },
          { kerberosSid: 'S-1-5-21-1004336348-1177238915-682003330-1105', realms: ['PTAdministration'], access: 'any' },
        ],
        wireless: [{ profileName: 'corp', ssid: 'CORP-WLAN', authentication: 'WPA2-PSK', passphrase: new SecretValue('wifi-passphrase', secrets.wifi) }],
        wired8021x: { protocol: 'PEAPv0/EAP-MSCHAPv2', username: 'amt-wired', password: new SecretValue('ieee8021x-password', secrets.radius) },
        mebx: { policy: 'always', password: new SecretValue('mebx-password', secrets.mebx) },
      },
    });
    const result = await s.waitForResult(0);
    assert.equal(result.outcome, 'Provisioned');
    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    assert.equal(result.hostname, computer.fqdn);
    assert.equal(computer.amtStatus, 'Provisioned');

    const view = await s.control<FirmwareView>('GET', `/devices/${s.uuids[0]}`);
    const fw = view.firmware;
    assert.equal(fw.provisioningState, 'post');
    assert.equal(`${fw.hostName}.${fw.domainName}`, computer.fqdn);

    // The device serves a certificate from the site's issuing CA that names its FQDN.
    const served = await new Promise<X509Certificate>((resolve, reject) => {
      const socket = tls.connect({ host: ip(1), port: 16993, rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
        resolve(socket.getPeerX509Certificate()!);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    const issuingCa = new X509Certificate(s.pki.issuingCa.certPem);
    assert.ok(served.verify(issuingCa.publicKey), 'the served certificate is signed by the site issuing CA');
    assert.equal(served.checkHost(computer.fqdn), computer.fqdn);
    // Accepted because our CA issued it for this FQDN; the pin stays the device's own certificate.
    const selfSigned = new X509Certificate(view.firmware.tls.selfSigned.certificatePem);
    assert.equal((await s.store.computers.get(computer.id)).deviceCertFingerprint, createHash('sha256').update(selfSigned.raw).digest('hex'));

    // The admin password the device holds is the one in the vault, and it is not the factory one.
    const adminPassword = await s.store.vault.getSecret(computer.secretRefs.adminPassword!);
    assert.deepEqual(await s.control('POST', `/devices/${s.uuids[0]}/check-admin`, { username: 'admin', password: adminPassword }), { matches: true });
    assert.deepEqual(await s.control('POST', `/devices/${s.uuids[0]}/check-admin`, { username: 'admin', password: s.devicePassword }), { matches: false });
    assert.equal((await s.store.credentials.pendingAdminPasswords(computer.id)).length, 0);

    // MEBx per policy "always": set to the configured password, which the vault holds for this computer too.
    assert.equal(fw.mebx.passwordSha256, sha256(secrets.mebx));
    assert.equal(await s.store.vault.getSecret((await s.store.computers.get(computer.id)).secretRefs.mebxPassword!), secrets.mebx);

    // ACLs: exactly the configured ones.
    assert.deepEqual(fw.userAcl.map((e) => [e.digestUsername ?? e.kerberosUserSid, [...e.realms].sort((a, b) => a - b), e.accessPermission]), [
      ['helpdesk', [2, 4], 1],
      [sidFromString('S-1-5-21-1004336348-1177238915-682003330-1105').toString('base64'), [3], 2],
    ]);
    assert.deepEqual(fw.features, { ping: true, rmcpPing: true, webUi: false, sol: true, ider: false });
    assert.equal(fw.powerScheme, 'SCHEME 3');

    // Kerberos: the directory's realm and the key version of the account the run created.
    const dn = `CN=${computer.netbiosName},${s.ou}`;
    const account = await withAdminClient(s.facts, async (ldap) => (await ldap.search(s.ou, {
      scope: 'one', filter: `(sAMAccountName=${computer.netbiosName}$)`,
      attributes: ['servicePrincipalName', 'msDS-KeyVersionNumber', 'dNSHostName', 'userAccountControl', 'msDS-SupportedEncryptionTypes'],
    })).searchEntries);
    assert.equal(account.length, 1);
    assert.equal(account[0].dn.toLowerCase(), dn.toLowerCase());
    const spns = ([] as string[]).concat(account[0].servicePrincipalName as string | string[]).map((x) => x.toLowerCase()).sort();
    assert.deepEqual(spns, [
      `HTTP/${computer.fqdn}:16992`, `HTTP/${computer.fqdn}:16993`, `HTTP/${computer.netbiosName}:16992`, `HTTP/${computer.netbiosName}:16993`,
    ].map((x) => x.toLowerCase()).sort());
    assert.equal(fw.kerberos?.realm, s.facts.realm);
    assert.equal(fw.kerberos?.keyVersion, Number(account[0]['msDS-KeyVersionNumber']));
    assert.equal(fw.kerberos?.enabled, true);
    // AMT 8+ derives AES keys from the account password, earlier releases take its RC4-HMAC
    // key: either way the device's key must be the directory's.
    const adPassword = await s.store.vault.getSecret((await s.store.computers.get(computer.id)).secretRefs.adAccountPassword!);
    if (family === 'modern') {
      assert.equal(Number(account[0]['msDS-SupportedEncryptionTypes']), 24);
      assert.equal(fw.kerberos?.encryption, 'aes');
      const aes256 = aesStringToKey(adPassword, computerAccountSalt(s.facts.realm, computer.netbiosName), 32);
      assert.ok(Object.values(fw.kerberos?.keys ?? {}).includes(sha256Hex(aes256)), 'the device holds the AD account key');
    } else {
      assert.equal(Number(account[0]['msDS-SupportedEncryptionTypes']), 4);
      assert.equal(fw.kerberos?.encryption, 'rc4-hmac');
      assert.ok(Object.values(fw.kerberos?.keys ?? {}).includes(sha256Hex(rc4HmacKey(adPassword))), 'the device holds the AD account key');
    }

    // SP2: the wireless profile and wired 802.1X as configured.
    assert.deepEqual(fw.wirelessProfiles.map((p) => [p.properties.ElementName, p.properties.SSID, p.properties.AuthenticationMethod]), [['corp', 'CORP-WLAN', 6]]);
    assert.equal(fw.ieee8021x?.properties.Username, 'amt-wired');
    assert.equal(fw.ieee8021x?.properties.Enabled, 2);

    // Phase 1 spoke the family's dialect, and the store knows the release and its family.
    assert.equal(computer.firmwareVersion, firmwareVersion);
    assert.equal(computer.firmwareFamily, family);
    const phase1 = (await s.store.audit.forComputer(computer.uuid)).find((a) => a.action === 'provisioning.phase1');
    assert.deepEqual([phase1?.detail?.dialect, phase1?.detail?.firmware], [family === 'modern' ? 'ws-man' : 'eoi-soap', firmwareVersion]);
    // A server speaking EOI to a modern device fails: it serves no EOI service (404 after Digest).
    if (family === 'modern') {
      await assert.rejects(eoiCoreVersion(s, ip(1), adminPassword), (err: unknown) => err instanceof UnexpectedHttpStatus && err.status === 404);
    } else {
      assert.equal(await eoiCoreVersion(s, ip(1), adminPassword), firmwareVersion);
    }

    // The audit trail tells the story, and no secret anywhere: history (decoded), logs, audit.
    const actions = (await s.store.audit.forComputer(computer.uuid)).map((a) => a.action);
    for (const action of ['provisioning.started', 'provisioning.digest-login', 'provisioning.directory-account', 'provisioning.phase1', 'provisioning.phase2', 'provisioning.finished']) {
      assert.ok(actions.includes(action), `audit has ${action}`);
    }
    const allSecrets = [
      adminPassword, s.devicePassword, secrets.helpdesk, secrets.wifi, secrets.radius, secrets.mebx, s.facts.bindPassword,
      adPassword,
      s.pki.provisioning.keyPem.split('\n')[1], s.pki.issuingCa.keyPem.split('\n')[1],
    ];
    assert.deepEqual(await historySecretsScan(s.client, s.workflowId(0), s.codecKeys, allSecrets), []);
    assert.deepEqual(findSecrets(s.logs.join('\n'), allSecrets), []);
    assert.deepEqual(findSecrets(JSON.stringify(await s.store.audit.forComputer(computer.uuid)), allSecrets), []);
  });

  test('a provisioned device that is partially, then fully unprovisioned is provisioned again by its next Hello', async (t) => {
    const mebx = 'Site!Mebx2024';
    const s = await stack(t, { baseIp: ip(51), amt: { mebx: { policy: 'always', password: new SecretValue('mebx-password', mebx) } } });
    const runIds = [];
    const handle = s.client.workflow.getHandle(s.workflowId(0));
    for (const mode of [undefined, 'partial', 'full'] as const) {
      if (mode) {
        const previous = runIds.at(-1);
        await s.control('POST', `/devices/${s.uuids[0]}/unprovision`, { mode });
        await waitUntil(async () => (await handle.describe()).runId !== previous, `a new run after the ${mode} unprovision`);
      }
      assert.equal((await s.waitForResult(0)).outcome, 'Provisioned', mode ?? 'first run');
      runIds.push((await handle.describe()).runId);
      const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
      const password = await s.store.vault.getSecret(computer.secretRefs.adminPassword!);
      assert.deepEqual(await s.control('POST', `/devices/${s.uuids[0]}/check-admin`, { username: 'admin', password }), { matches: true });
      const view = await s.control<FirmwareView>('GET', `/devices/${s.uuids[0]}`);
      assert.equal(view.firmware.provisioningState, 'post');
    }
    assert.equal(new Set(runIds).size, 3);
    // After the full unprovision the admin account was `admin` + the MEBx password the first run set.
    const logins = (await s.store.audit.forComputer(s.uuids[0])).filter((a) => a.action === 'provisioning.digest-login').map((a) => String(a.detail?.credential));
    assert.deepEqual(logins.map((id) => id.replace(/:\d+$/, '')), ['digest-account', 'admin-current', 'admin-mebx']);
  });

  test('Digest rotation: the first configured account is rejected, the next one works (ConfigMgr SP1 behaviour)', async (t) => {
    const s = await stack(t, {
      baseIp: ip(11), digestPasswords: (p) => ['Wrong!Pass1', p],
      // SP1 ignores the configured power scheme (always 5) and has no wireless or 802.1X step.
      amt: { configMgrBehaviour: 'SP1', powerScheme: 3, wireless: [{ profileName: 'corp', ssid: 'CORP', authentication: 'WPA2-PSK', passphrase: new SecretValue('wifi-passphrase', 'correct horse battery') }] },
    });
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
    const fw = (await s.control<FirmwareView>('GET', `/devices/${s.uuids[0]}`)).firmware;
    assert.equal(fw.powerScheme, 'SCHEME 5');
    assert.deepEqual(fw.wirelessProfiles, []);
    assert.equal(fw.ieee8021x, null);
    const login = (await s.store.audit.forComputer(s.uuids[0])).find((a) => a.action === 'provisioning.digest-login');
    assert.equal(login?.detail?.rejectedBefore, 1);
    assert.match(String(login?.detail?.credential), /^digest-account:/);
    const counters = await s.control<{ digestFailures: number }>('GET', `/devices/${s.uuids[0]}/counters`);
    assert.ok(counters.digestFailures >= 1, 'the device counted the rejected attempt');
  });

  // The Digest stage comes before any dialect: one family suffices.
  if (family === 'modern') test('every configured account rejected: the run fails non-retryably with a clear reason and the device is untouched', async (t) => {
    const s = await stack(t, { baseIp: ip(21), digestPasswords: () => ['Wrong!Pass1', 'Wrong!Pass2'] });
    const err = await s.waitForResult(0).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'AllCredentialsRejected');
    assert.equal(err.cause.nonRetryable, true);
    assert.match(err.cause.message, /digest: all 2 configured credential\(s\) rejected/);
    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    assert.equal(computer.amtStatus, 'Failed');
    assert.match(computer.statusReason ?? '', /AllCredentialsRejected/);
    const status = await s.client.workflow.getHandle(s.workflowId(0)).query(statusQuery);
    assert.equal(status.attempt, 1, 'not retried');
    const view = await s.control<FirmwareView>('GET', `/devices/${s.uuids[0]}`);
    assert.equal(view.firmware.provisioningState, 'pre');
  });

  test('power lost during commit, before and after the write reaches the flash: the run finishes and the vault holds the device\'s admin password', async (t) => {
    const s = await stack(t, { baseIp: ip(61), devices: 2 });
    const points = ['before-write', 'after-write'] as const;
    await Promise.all(points.map((point, i) => s.control('POST', `/devices/${s.uuids[i]}/faults`, { losePowerDuringCommit: { point, restoreAfterMs: 3000 } })));
    for (const [i, point] of points.entries()) {
      assert.equal((await s.waitForResult(i)).outcome, 'Provisioned', point);
      const computer = (await s.store.computers.findByUuid(s.uuids[i]))!;
      const password = await s.store.vault.getSecret(computer.secretRefs.adminPassword!);
      assert.deepEqual(await s.control('POST', `/devices/${s.uuids[i]}/check-admin`, { username: 'admin', password }), { matches: true }, point);
      assert.equal((await s.store.credentials.pendingAdminPasswords(computer.id)).length, 0, point);
      assert.equal((await s.control<FirmwareView>('GET', `/devices/${s.uuids[i]}`)).firmware.provisioningState, 'post', point);
    }
    // After the write the commit landed although the worker never heard back: the next login
    // found the pending password on the device and promoted it.
    const recovered = (await s.store.audit.forComputer(s.uuids[1])).filter((a) => a.action === 'provisioning.admin-password-recovered');
    assert.equal(recovered.length, 1);
  });

  test('a device that loses power during phase 2 is waited for and finished when it is back', async (t) => {
    const s = await stack(t, { baseIp: ip(31) });
    const handle = s.client.workflow.getHandle(s.workflowId(0));
    await s.control('POST', `/devices/${s.uuids[0]}/faults`, { latencyMs: 150 });
    await waitUntil(async () => (await queryStatus(handle)).stage === 'phase2', 'the run to reach phase 2');
    await s.control('POST', `/devices/${s.uuids[0]}/power`, { state: 'off' });
    await waitUntil(async () => (await queryStatus(handle)).lastError?.type === 'DeviceUnreachable', 'a failed phase 2 attempt');
    await s.control('DELETE', `/devices/${s.uuids[0]}/faults`);
    await s.control('POST', `/devices/${s.uuids[0]}/power`, { state: 'on' });
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
    const status = await queryStatus(handle);
    assert.equal(status.outcome, 'Provisioned');
    const view = await s.control<FirmwareView>('GET', `/devices/${s.uuids[0]}`);
    assert.equal(view.firmware.provisioningState, 'post');
    assert.equal(view.firmware.powerScheme, 'SCHEME 5');
  });

  // The deadline is the workflow's, whatever the dialect: one family suffices.
  if (family === 'modern') test('a device dark past the deadline ends the run Failed (reported); its next Hello starts a new run', async (t) => {
    const s = await stack(t, { baseIp: ip(41), deadline: '60s' });
    const handle = s.client.workflow.getHandle(s.workflowId(0));
    await s.control('POST', `/devices/${s.uuids[0]}/faults`, { latencyMs: 150 });
    await waitUntil(async () => (await queryStatus(handle)).stage === 'phase1', 'the run to reach phase 1');
    await s.control('POST', `/devices/${s.uuids[0]}/power`, { state: 'off' });
    const err = await s.waitForResult(0).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'DeviceUnreachable');
    assert.match(err.cause.message, /deadline 60 s/);
    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    assert.equal(computer.amtStatus, 'Failed');
    assert.match(computer.statusReason ?? '', /DeviceUnreachable/);

    // Back on, the device says Hello again: that starts a new run, which finishes the job.
    const failedRunId = (await handle.describe()).runId;
    await s.control('DELETE', `/devices/${s.uuids[0]}/faults`);
    await s.control('POST', `/devices/${s.uuids[0]}/power`, { state: 'on' });
    await waitUntil(async () => (await s.client.workflow.getHandle(s.workflowId(0)).describe()).runId !== failedRunId, 'a new run after the next Hello');
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
  });
});

describe('out-of-band provisioning of a release older than the oldest supported', () => {
  test('AMT 3.0 ends the run UnsupportedFirmware, non-retryable, after login and before any change', async (t) => {
    const s = await startStack(t, { baseIp: `${FAMILY_NET.early}.71`, firmwareVersion: '3.0.5' });
    const err = await s.waitForResult(0).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'UnsupportedFirmware');
    assert.equal(err.cause.nonRetryable, true);
    assert.match(err.cause.message, /^digest: AMT 3\.0\.5 is older than 3\.2\.1/);
    const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
    assert.deepEqual([computer.amtStatus, computer.firmwareVersion, computer.firmwareFamily], ['Failed', '3.0.5', 'early']);
    assert.equal((await s.client.workflow.getHandle(s.workflowId(0)).query(statusQuery)).attempt, 1, 'not retried');
    const view = await s.control<FirmwareView>('GET', `/devices/${s.uuids[0]}`);
    assert.equal(view.firmware.provisioningState, 'pre');
    assert.equal((await s.store.credentials.pendingAdminPasswords(computer.id)).length, 0, 'no admin password was staged');
    const accounts = await withAdminClient(s.facts, async (ldap) => (await ldap.search(s.ou, { scope: 'one', filter: `(sAMAccountName=${computer.netbiosName}$)` })).searchEntries);
    assert.equal(accounts.length, 0, 'no directory account');
  });
});

async function queryStatus(handle: ReturnType<ProvisioningStack['client']['workflow']['getHandle']>) {
  return handle.query(statusQuery);
}
