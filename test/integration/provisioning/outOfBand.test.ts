// Out-of-band provisioning end to end: an emulated device sends Hellos, the listener starts
// its run, the worker drives TLS, Digest, the AD account, SOAP and WS-Man against the device,
// and the test then reads the device's firmware (control API), the directory and the store.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { aesStringToKey, computerAccountSalt, sidFromString } from '../../../src/directory';
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

describe('out-of-band provisioning end to end', () => {
  const { stack } = useProvisioningStacks();

  test('an imported device is provisioned: firmware, directory and store all hold the configured state', async (t) => {
    const secrets = {
      helpdesk: 'Help!desk2024', wifi: 'correct horse battery', radius: 'Rad1us!pass', mebx: 'New!Mebx2024',
    };
    const s = await stack(t, {
      baseIp: '127.0.41.1',
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
    const computer = s.store.computers.findByUuid(s.uuids[0])!;
    assert.equal(result.hostname, computer.fqdn);
    assert.equal(computer.amtStatus, 'Provisioned');

    const view = await s.control<FirmwareView>('GET', `/devices/${s.uuids[0]}`);
    const fw = view.firmware;
    assert.equal(fw.provisioningState, 'post');
    assert.equal(`${fw.hostName}.${fw.domainName}`, computer.fqdn);

    // The device serves a certificate from the site's issuing CA that names its FQDN.
    const served = await new Promise<X509Certificate>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.41.1', port: 16993, rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
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
    assert.equal(s.store.computers.get(computer.id).deviceCertFingerprint, createHash('sha256').update(selfSigned.raw).digest('hex'));

    // The admin password the device holds is the one in the vault, and it is not the factory one.
    const adminPassword = s.store.vault.getSecret(computer.secretRefs.adminPassword!);
    assert.deepEqual(await s.control('POST', `/devices/${s.uuids[0]}/check-admin`, { username: 'admin', password: adminPassword }), { matches: true });
    assert.deepEqual(await s.control('POST', `/devices/${s.uuids[0]}/check-admin`, { username: 'admin', password: s.devicePassword }), { matches: false });
    assert.equal(s.store.credentials.pendingAdminPasswords(computer.id).length, 0);

    // MEBx per policy "always": set to the configured password, which the vault holds for this computer too.
    assert.equal(fw.mebx.passwordSha256, sha256(secrets.mebx));
    assert.equal(s.store.vault.getSecret(s.store.computers.get(computer.id).secretRefs.mebxPassword!), secrets.mebx);

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
    assert.equal(Number(account[0]['msDS-SupportedEncryptionTypes']), 24);
    assert.equal(fw.kerberos?.realm, s.facts.realm);
    assert.equal(fw.kerberos?.keyVersion, Number(account[0]['msDS-KeyVersionNumber']));
    assert.equal(fw.kerberos?.enabled, true);
    // AMT 8+ derives AES keys from the account password: the device's must be the directory's.
    assert.equal(fw.kerberos?.encryption, 'aes');
    const adPassword = s.store.vault.getSecret(s.store.computers.get(computer.id).secretRefs.adAccountPassword!);
    const aes256 = aesStringToKey(adPassword, computerAccountSalt(s.facts.realm, computer.netbiosName), 32);
    assert.ok(Object.values(fw.kerberos?.keys ?? {}).includes(createHash('sha256').update(aes256).digest('hex')), 'the device holds the AD account key');

    // SP2: the wireless profile and wired 802.1X as configured.
    assert.deepEqual(fw.wirelessProfiles.map((p) => [p.properties.ElementName, p.properties.SSID, p.properties.AuthenticationMethod]), [['corp', 'CORP-WLAN', 6]]);
    assert.equal(fw.ieee8021x?.properties.Username, 'amt-wired');
    assert.equal(fw.ieee8021x?.properties.Enabled, 2);

    // The audit trail tells the story, and no secret anywhere: history (decoded), logs, audit.
    const actions = s.store.audit.forComputer(computer.uuid).map((a) => a.action);
    for (const action of ['provisioning.started', 'provisioning.digest-login', 'provisioning.directory-account', 'provisioning.phase1', 'provisioning.phase2', 'provisioning.finished']) {
      assert.ok(actions.includes(action), `audit has ${action}`);
    }
    const allSecrets = [
      adminPassword, s.devicePassword, secrets.helpdesk, secrets.wifi, secrets.radius, secrets.mebx, s.facts.bindPassword,
      s.store.vault.getSecret(s.store.computers.get(computer.id).secretRefs.adAccountPassword!),
      s.pki.provisioning.keyPem.split('\n')[1], s.pki.issuingCa.keyPem.split('\n')[1],
    ];
    assert.deepEqual(await historySecretsScan(s.client, s.workflowId(0), s.codecKeys, allSecrets), []);
    assert.deepEqual(findSecrets(s.logs.join('\n'), allSecrets), []);
    assert.deepEqual(findSecrets(JSON.stringify(s.store.audit.forComputer(computer.uuid)), allSecrets), []);
  });

  test('a provisioned device that is partially, then fully unprovisioned is provisioned again by its next Hello', async (t) => {
    const mebx = 'Site!Mebx2024';
    const s = await stack(t, { baseIp: '127.0.41.51', amt: { mebx: { policy: 'always', password: new SecretValue('mebx-password', mebx) } } });
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
      const computer = s.store.computers.findByUuid(s.uuids[0])!;
      const password = s.store.vault.getSecret(computer.secretRefs.adminPassword!);
      assert.deepEqual(await s.control('POST', `/devices/${s.uuids[0]}/check-admin`, { username: 'admin', password }), { matches: true });
      const view = await s.control<FirmwareView>('GET', `/devices/${s.uuids[0]}`);
      assert.equal(view.firmware.provisioningState, 'post');
    }
    assert.equal(new Set(runIds).size, 3);
    // After the full unprovision the admin account was `admin` + the MEBx password the first run set.
    const logins = s.store.audit.forComputer(s.uuids[0]).filter((a) => a.action === 'provisioning.digest-login').map((a) => String(a.detail?.credential));
    assert.deepEqual(logins.map((id) => id.replace(/:\d+$/, '')), ['digest-account', 'admin-current', 'admin-mebx']);
  });

  test('Digest rotation: the first configured account is rejected, the next one works (ConfigMgr SP1 behaviour)', async (t) => {
    const s = await stack(t, {
      baseIp: '127.0.41.11', digestPasswords: (p) => ['Wrong!Pass1', p],
      // SP1 ignores the configured power scheme (always 5) and has no wireless or 802.1X step.
      amt: { configMgrBehaviour: 'SP1', powerScheme: 3, wireless: [{ profileName: 'corp', ssid: 'CORP', authentication: 'WPA2-PSK', passphrase: new SecretValue('wifi-passphrase', 'correct horse battery') }] },
    });
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
    const fw = (await s.control<FirmwareView>('GET', `/devices/${s.uuids[0]}`)).firmware;
    assert.equal(fw.powerScheme, 'SCHEME 5');
    assert.deepEqual(fw.wirelessProfiles, []);
    assert.equal(fw.ieee8021x, null);
    const login = s.store.audit.forComputer(s.uuids[0]).find((a) => a.action === 'provisioning.digest-login');
    assert.equal(login?.detail?.rejectedBefore, 1);
    assert.match(String(login?.detail?.credential), /^digest-account:/);
    const counters = await s.control<{ digestFailures: number }>('GET', `/devices/${s.uuids[0]}/counters`);
    assert.ok(counters.digestFailures >= 1, 'the device counted the rejected attempt');
  });

  test('every configured account rejected: the run fails non-retryably with a clear reason and the device is untouched', async (t) => {
    const s = await stack(t, { baseIp: '127.0.41.21', digestPasswords: () => ['Wrong!Pass1', 'Wrong!Pass2'] });
    const err = await s.waitForResult(0).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'AllCredentialsRejected');
    assert.equal(err.cause.nonRetryable, true);
    assert.match(err.cause.message, /digest: all 2 configured credential\(s\) rejected/);
    const computer = s.store.computers.findByUuid(s.uuids[0])!;
    assert.equal(computer.amtStatus, 'Failed');
    assert.match(computer.statusReason ?? '', /AllCredentialsRejected/);
    const status = await s.client.workflow.getHandle(s.workflowId(0)).query(statusQuery);
    assert.equal(status.attempt, 1, 'not retried');
    const view = await s.control<FirmwareView>('GET', `/devices/${s.uuids[0]}`);
    assert.equal(view.firmware.provisioningState, 'pre');
  });

  test('a device that loses power during phase 2 is waited for and finished when it is back', async (t) => {
    const s = await stack(t, { baseIp: '127.0.41.31' });
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

  test('a device dark past the deadline ends the run Failed (reported); its next Hello starts a new run', async (t) => {
    const s = await stack(t, { baseIp: '127.0.41.41', deadline: '60s' });
    const handle = s.client.workflow.getHandle(s.workflowId(0));
    await s.control('POST', `/devices/${s.uuids[0]}/faults`, { latencyMs: 150 });
    await waitUntil(async () => (await queryStatus(handle)).stage === 'phase1', 'the run to reach phase 1');
    await s.control('POST', `/devices/${s.uuids[0]}/power`, { state: 'off' });
    const err = await s.waitForResult(0).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'DeviceUnreachable');
    assert.match(err.cause.message, /deadline 60 s/);
    const computer = s.store.computers.findByUuid(s.uuids[0])!;
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

async function queryStatus(handle: ReturnType<ProvisioningStack['client']['workflow']['getHandle']>) {
  return handle.query(statusQuery);
}
