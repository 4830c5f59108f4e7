// Seed step 8.4 end to end with certificates (ConfigMgr SP2): an EAP-TLS wireless profile and
// wired EAP-TLS 802.1X. Real Temporal, Samba AD, TLS, Digest and WS-Man against the emulator;
// the test reads the device's key store, profiles and 802.1X settings through the control API.
// Both firmware families, so both ways a device makes its key: EOI CertStore + PKCS#10 (before
// AMT 6) and WS-Man GenerateKeyPair + AMT_PublicPrivateKeyPair (AMT 6 and later).
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runSettingsCommand } from '../../../src/cli/settings';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import { statusQuery } from '../../../src/workflows/definitions';
import { makeRadiusRoot } from '../../support/radiusRoot';
import { useProvisioningStacks, type ProvisioningStack } from '../../support/provisioningStack';
import { findSecrets, historySecretsScan } from '../../support/secretScan';
import { waitUntil } from '../../support/waitUntil';

interface DeviceView {
  firmware: {
    wirelessProfiles: { instanceId: string; properties: Record<string, unknown> }[];
    ieee8021x: { properties: Record<string, unknown> } | null;
    tls: { certificateHandle: number | null; keyHandle: number | null };
    keyStore: { keyPairs: { handle: number; publicKeyDer: string }[]; certificates: { handle: number; pem: string; keyHandle?: number; isRoot: boolean }[] };
  };
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

function eapTls(root: string, username: string) {
  return { protocol: 'EAP-TLS', username, radiusRootCertificate: root, clientCertificate: 'site-ca-per-device' };
}

function settings(root: string) {
  return {
    configMgrBehaviour: 'SP2',
    wireless: [{ profileName: 'corptls', ssid: 'CORP-TLS', authentication: 'WPA2-IEEE8021x', ieee8021x: eapTls(root, 'amt-wifi') }],
    wired8021x: eapTls(root, 'amt-wired'),
  };
}

async function device(s: ProvisioningStack): Promise<DeviceView['firmware']> {
  return (await s.control<DeviceView>('GET', `/devices/${s.uuids[0]}`)).firmware;
}

/** The client certificate the device ended with: issued by the site CA for a key it holds, clientAuth, its FQDN. */
async function assertClientCertificate(s: ProvisioningStack, fw: DeviceView['firmware'], handle: unknown): Promise<X509Certificate> {
  const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
  const entry = fw.keyStore.certificates.find((c) => c.handle === handle);
  assert.ok(entry, `the device stores certificate ${String(handle)}`);
  const cert = new X509Certificate(entry.pem);
  assert.ok(cert.verify(new X509Certificate(s.pki.issuingCa.certPem).publicKey), 'issued by the site issuing CA');
  assert.equal(cert.subject, `CN=${computer.fqdn}`);
  assert.equal(cert.checkHost(computer.fqdn), computer.fqdn);
  assert.deepEqual(cert.keyUsage, [CLIENT_AUTH]);
  const key = fw.keyStore.keyPairs.find((k) => k.handle === entry.keyHandle);
  assert.ok(key, 'the device holds the key of its client certificate');
  const devicePublicKey = createPublicKey({ key: Buffer.from(key.publicKeyDer, 'base64'), format: 'der', type: 'spki' });
  assert.ok(devicePublicKey.equals(cert.publicKey), "the certificate's public key is the device key pair's");
  return cert;
}

describe('seed step 8.4: EAP-TLS wireless and wired 802.1X with certificates', () => {
  const { stack } = useProvisioningStacks();

  // From AMT 6 the device lists its keys: an attempt interrupted between GenerateKeyPair and
  // AddCertificate leaves a key without a certificate, which the next attempt deletes.
  const variants = [
    { firmwareVersion: DEFAULT_FIRMWARE_VERSION.early, baseIp: '127.0.53.1', keyPath: 'EOI CertStore', interruptAfterKey: false },
    { firmwareVersion: DEFAULT_FIRMWARE_VERSION.modern, baseIp: '127.0.53.11', keyPath: 'WS-Man GenerateKeyPair', interruptAfterKey: true },
  ];
  for (const { firmwareVersion, baseIp, keyPath, interruptAfterKey } of variants) {
    test(`AMT ${firmwareVersion} (${keyPath}): profiles, RADIUS root, one client certificate for a device key; interrupted attempts leave nothing behind`, async (t) => {
      const rootA = makeRadiusRoot('RADIUS Root A');
      const rootB = makeRadiusRoot('RADIUS Root B');
      const s = await stack(t, { baseIp, firmwareVersion, amt: settings(rootA.certPem) });
      // Phase 2 attempts fail after their certificates (and keys) are on the device; NOT_READY is transient: retried.
      const fail = (operation: string) => s.control('POST', `/devices/${s.uuids[0]}/faults`, { failOperation: { operation, status: 2, times: 1 } });
      if (interruptAfterKey) await fail('AMT_PublicKeyManagementService.AddCertificate');
      await fail('IPS_IEEE8021xSettings.SetCertificates');
      const handle = s.client.workflow.getHandle(s.workflowId(0));
      await waitUntil(async () => (await handle.query(statusQuery)).lastError?.message.includes('SetCertificates') === true, 'the failed first phase 2 attempt');
      const interrupted = await device(s);
      const clientBefore = interrupted.wirelessProfiles[0]?.properties.ClientCredential;
      assert.ok(interrupted.keyStore.certificates.some((c) => fingerprint(c.pem) === fingerprint(rootA.certPem)), 'root A was stored by the first attempt');
      // The site changes its RADIUS root before the retry: the retry must take root A away.
      const current = await s.store.settings.get();
      await s.store.settings.apply({ ...current, amt: { ...current.amt, ...settings(rootB.certPem) } });

      assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
      const fw = await device(s);
      const stored = fw.keyStore.certificates.map((c) => fingerprint(c.pem));
      assert.ok(!stored.includes(fingerprint(rootA.certPem)), 'the old RADIUS root is gone');
      const rootEntry = fw.keyStore.certificates.find((c) => fingerprint(c.pem) === fingerprint(rootB.certPem));
      assert.ok(rootEntry?.isRoot, 'the RADIUS root is a trusted root on the device');

      // Profiles reference the root and the client certificate.
      assert.equal(fw.wirelessProfiles.length, 1);
      const wifi = fw.wirelessProfiles[0].properties;
      assert.deepEqual([wifi.ElementName, wifi.SSID, wifi.AuthenticationMethod, wifi['IEEE8021x.AuthenticationProtocol'], wifi['IEEE8021x.Username']], ['corptls', 'CORP-TLS', 7, 0, 'amt-wifi']);
      assert.equal(wifi.CACredential, rootEntry.handle);
      const wired = fw.ieee8021x?.properties ?? {};
      assert.deepEqual([wired.Enabled, wired.AuthenticationProtocol, wired.Username], [2, 0, 'amt-wired']);
      assert.equal(wired.ServerCertificateIssuer, rootEntry.handle);
      assert.equal(wired.ClientCertificate, wifi.ClientCredential, 'one client certificate serves both');
      await assertClientCertificate(s, fw, wifi.ClientCredential);

      // Exactly one client certificate and one key besides TLS: nothing of the first attempt dangles.
      const clientCerts = fw.keyStore.certificates.filter((c) => (new X509Certificate(c.pem).keyUsage ?? []).includes(CLIENT_AUTH));
      assert.equal(clientCerts.length, 1);
      assert.ok(!fw.keyStore.certificates.some((c) => c.handle === clientBefore), "the first attempt's client certificate was removed");
      assert.deepEqual(fw.keyStore.keyPairs.map((k) => k.handle).sort(), [fw.tls.keyHandle, clientCerts[0].keyHandle].sort());
      const audit = (await s.store.audit.forComputer(s.uuids[0])).filter((a) => a.action === 'provisioning.8021x-client-certificate');
      assert.deepEqual(audit.map((a) => a.detail?.deviceKey), ['generated', 'reused']);

      // The CA key that issued the client certificate, and the device's passwords, appear nowhere.
      const computer = (await s.store.computers.findByUuid(s.uuids[0]))!;
      const secrets = [s.pki.issuingCa.keyPem.split('\n')[1], s.devicePassword, await s.store.vault.getSecret(computer.secretRefs.adminPassword!)];
      assert.deepEqual(await historySecretsScan(s.client, s.workflowId(0), s.codecKeys, secrets), []);
      assert.deepEqual(findSecrets(s.logs.join('\n'), secrets), []);
      assert.deepEqual(findSecrets(JSON.stringify(await s.store.audit.forComputer(computer.uuid)), secrets), []);
    });
  }

  test('a device without a radio still gets wired EAP-TLS 802.1X', async (t) => {
    const root = makeRadiusRoot('RADIUS Root');
    const s = await stack(t, { baseIp: '127.0.53.21', withoutRadio: 'all', amt: settings(root.certPem) });
    assert.equal((await s.waitForResult(0)).outcome, 'Provisioned');
    const fw = await device(s);
    assert.deepEqual(fw.wirelessProfiles, []);
    const wired = fw.ieee8021x?.properties ?? {};
    assert.deepEqual([wired.Enabled, wired.AuthenticationProtocol], [2, 0]);
    assert.equal(fw.keyStore.certificates.find((c) => c.handle === wired.ServerCertificateIssuer)?.pem.trim(), new X509Certificate(root.certPem).toString().trim());
    await assertClientCertificate(s, fw, wired.ClientCertificate);
    const phase2 = (await s.store.audit.forComputer(s.uuids[0])).find((a) => a.action === 'provisioning.phase2');
    assert.ok(phase2, 'phase 2 reported');
  });

  test('settings apply refuses EAP-TLS without a RADIUS root, naming the field, and changes nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'amtprov-8021x-'));
    try {
      const file = path.join(dir, 'site.yaml');
      writeFileSync(file, 'amt:\n  wired8021x: { protocol: EAP-TLS, username: amt-wired, clientCertificate: site-ca-per-device }\n');
      const out: string[] = [];
      const err: string[] = [];
      const code = await runSettingsCommand(['apply', file, '--db', path.join(dir, 'site.sqlite')], { out: (l) => out.push(l), err: (l) => err.push(l) });
      assert.notEqual(code, 0);
      assert.match(err[0], /^amt\.wired8021x\.radiusRootCertificate: EAP-TLS needs the RADIUS server's root CA/);
      assert.match(err.at(-1)!, /1 problem\(s\); settings unchanged/);
      assert.deepEqual(out, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
