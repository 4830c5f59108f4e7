import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretValue, storedSettingsSchema } from '../../../src/site/settings';
import { parseSettingsYaml } from '../../../src/site/settingsFile';
import { makeRadiusRoot } from '../../support/radiusRoot';

const dir = mkdtempSync(path.join(tmpdir(), 'amtprov-settings-'));
void after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'mebx.txt'), 'Mebx!Pass1\n');
writeFileSync(path.join(dir, 'weak.txt'), 'weakling\n');
const radiusRoot = makeRadiusRoot('RADIUS Root CA');
writeFileSync(path.join(dir, 'radius-root.pem'), `subject=CN = RADIUS Root CA\n${radiusRoot.certPem}`);
writeFileSync(path.join(dir, 'leaf.pem'), makeRadiusRoot('not a CA', { ca: false }).certPem);
writeFileSync(path.join(dir, 'expired.pem'), makeRadiusRoot('expired', { notAfter: new Date(Date.now() - 86_400_000) }).certPem);
writeFileSync(path.join(dir, 'two.pem'), radiusRoot.certPem + radiusRoot.certPem);

const ENV = { BIND_PW: 'bind-secret', DIGEST_PW: 'Digest!Pw1', WIFI: 'office wifi passphrase' };

/** The maintenance defaults (issue 11): ConfigMgr's weekly renewal 42 days ahead, password reset every 28 days, discovery off. */
const DEFAULT_MAINTENANCE = {
  certificateRenewal: { enabled: true, interval: 7 * 86400, concurrency: 10, retryFor: 3600, window: 42 * 86400 },
  passwordReset: { enabled: true, interval: 28 * 86400, concurrency: 10, retryFor: 3600 },
  discovery: { enabled: false, interval: 86400, concurrency: 10, retryFor: 3600 },
};

function errorsOf(yaml: string, env: NodeJS.ProcessEnv = ENV): string[] {
  const result = parseSettingsYaml(yaml, dir, env);
  assert.equal(result.ok, false, 'expected the settings to be refused');
  return result.ok ? [] : result.errors;
}

function settingsOf(yaml: string): Record<string, unknown> {
  const result = parseSettingsYaml(yaml, dir, ENV);
  assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
  return result.settings as Record<string, unknown>;
}

void describe('settings schema', () => {
  void it('defaults are sane: SP2, ping, web console, SOL, IDE-R on, power scheme 5, MEBx untouched, 24 h deadline', () => {
    const settings = storedSettingsSchema.parse({});
    assert.deepEqual(settings, {
      digestAccounts: [],
      amt: {
        configMgrBehaviour: 'SP2', pingResponse: true, webConsole: true, serialOverLan: true, ideRedirection: true,
        powerScheme: 5, userAcls: [], wireless: [], mebx: { policy: 'never' },
      },
      provisioningDeadline: 86400,
      maintenance: DEFAULT_MAINTENANCE,
    });
    assert.deepEqual(settingsOf(''), settings, 'an empty YAML file gives the defaults');
  });

  void it('maintenance: durations in the file, each task\'s own bounds named on error', () => {
    const settings = settingsOf('maintenance:\n  certificateRenewal: { interval: 1d, window: 400d, concurrency: 3 }\n  passwordReset: { enabled: false, retryFor: 20m }\n');
    assert.deepEqual(settings.maintenance, {
      ...DEFAULT_MAINTENANCE,
      certificateRenewal: { ...DEFAULT_MAINTENANCE.certificateRenewal, interval: 86400, window: 400 * 86400, concurrency: 3 },
      passwordReset: { ...DEFAULT_MAINTENANCE.passwordReset, enabled: false, retryFor: 1200 },
    });
    assert.deepEqual(errorsOf('maintenance:\n  certificateRenewal: { interval: 5s, concurrency: 0, every: 2d }\n  passwordReset: { window: 10d }\n').sort(), [
      'maintenance.certificateRenewal.concurrency: Too small: expected number to be >=1',
      'maintenance.certificateRenewal.interval: must be at least 10 seconds',
      'maintenance.certificateRenewal: Unrecognized key: "every"',
      'maintenance.passwordReset: Unrecognized key: "window"',
    ].sort());
  });

  void it('loads secrets from files (relative to the YAML) and env vars as redacting SecretValues', () => {
    const settings = settingsOf(`
directory:
  url: ldaps://dc1.amt.test
  bindDn: CN=prov,CN=Users,DC=amt,DC=test
  bindPassword: { passwordEnv: BIND_PW }
  computerOu: OU=AMT,DC=amt,DC=test
  kerberosRealm: AMT.TEST
digestAccounts:
  - { username: admin, password: { passwordEnv: DIGEST_PW } }
amt:
  mebx: { policy: if-default, password: { passwordFile: mebx.txt } }
  wireless:
    - { profileName: office, ssid: Office, authentication: WPA2-PSK, passphrase: { passwordEnv: WIFI } }
provisioningDeadline: 90m
`);
    const mebx = (settings.amt as { mebx: { password: SecretValue } }).mebx.password;
    assert.ok(mebx instanceof SecretValue);
    assert.equal(mebx.value, 'Mebx!Pass1', 'one trailing newline is stripped');
    assert.equal(mebx.purpose, 'mebx-password');
    assert.equal(JSON.stringify(mebx), '"(secret)"');
    assert.equal((settings.directory as { bindPassword: SecretValue }).bindPassword.value, 'bind-secret');
    assert.equal(settings.provisioningDeadline, 5400);
    assert.ok(!JSON.stringify(settings).includes('bind-secret'));
  });

  void it('refuses inline secrets and names the key', () => {
    const errors = errorsOf('digestAccounts:\n  - { username: admin, password: "Digest!Pw1" }\n');
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^digestAccounts\.0\.password: .*never written inline/);
  });

  void it('names a missing file or env var without the secret, and a weak secret by its rule', () => {
    const errors = errorsOf(`
directory: { url: ldaps://dc1, bindDn: x, bindPassword: { passwordEnv: NOPE }, computerOu: OU=AMT, kerberosRealm: AMT.TEST }
amt:
  mebx: { policy: always, password: { passwordFile: weak.txt } }
  userAcls:
    - { username: helpdesk, password: { passwordFile: missing.txt }, realms: [Redirection] }
`);
    assert.deepEqual(errors.map((e) => e.split(':')[0]), ['directory.bindPassword', 'amt.userAcls.0.password', 'amt.mebx.password']);
    assert.match(errors[0], /environment variable NOPE is not set/);
    assert.match(errors[1], /missing\.txt: ENOENT/);
    assert.match(errors[2], /needs a digit/);
    assert.ok(!errors.join().includes('weakling'), 'the secret is not echoed');
  });

  void it('checks structure and values, naming each key', () => {
    const errors = errorsOf(`
directory: { url: ldap://dc1.amt.test, bindDn: x, bindPassword: { passwordEnv: BIND_PW }, computerOu: AMT, kerberosRealm: amt.test }
amt:
  powerScheme: 0
  pingRespons: true
  mebx: { policy: always }
  userAcls:
    - { kerberosSid: S-1-5-21-1-2-3-1105, realms: [PTAdministration, Bogus] }
    - { realms: [Redirection] }
    - { username: admin, password: { passwordEnv: DIGEST_PW }, realms: [Redirection] }
  wireless:
    - { profileName: office, ssid: Office, authentication: WPA2-PSK }
    - { profileName: office, ssid: Corp, authentication: WPA2-IEEE8021x }
provisioningDeadline: 5s
`);
    const keys = errors.map((e) => e.slice(0, e.indexOf(':')));
    for (const key of ['directory.url', 'directory.computerOu', 'directory.kerberosRealm', 'amt.powerScheme', 'amt.mebx.password',
      'amt.userAcls.0.realms.1', 'amt.userAcls.1.username', 'amt.userAcls.2.username', 'amt.wireless.0.passphrase',
      'amt.wireless.1.ieee8021x', 'amt.wireless.1.profileName', 'provisioningDeadline', 'amt']) {
      assert.ok(keys.includes(key), `no error for ${key} in:\n${errors.join('\n')}`);
    }
    assert.match(errors.find((e) => e.startsWith('amt:'))!, /pingRespons/, 'an unknown key is named');
  });

  void it('checks 802.1X profiles: MSCHAPv2 needs a password, EAP-TLS takes none', () => {
    const errors = errorsOf(`
amt:
  wired8021x: { protocol: PEAPv0/EAP-MSCHAPv2, username: amt }
  wireless:
    - profileName: corp
      ssid: Corp
      authentication: WPA2-IEEE8021x
      ieee8021x: { protocol: EAP-TLS, username: amt, password: { passwordEnv: BIND_PW } }
`);
    assert.deepEqual(errors.map((e) => e.split(':')[0]), [
      'amt.wireless.0.ieee8021x.password', 'amt.wireless.0.ieee8021x.clientCertificate', 'amt.wireless.0.ieee8021x.radiusRootCertificate', 'amt.wired8021x.password',
    ]);
  });

  void it('EAP-TLS: the RADIUS root from a PEM file (kept as PEM, text around it dropped) and a client certificate from the site CA', () => {
    const settings = settingsOf(`
amt:
  wired8021x: { protocol: EAP-TLS, username: amt-wired, radiusRootCertificate: { pemFile: radius-root.pem }, clientCertificate: site-ca-per-device }
  wireless:
    - profileName: corp
      ssid: Corp
      authentication: WPA2-IEEE8021x
      ieee8021x: { protocol: EAP-TLS, username: amt, radiusRootCertificate: { pemFile: radius-root.pem }, clientCertificate: site-ca-per-device }
`);
    const amt = settings.amt as { wired8021x: { radiusRootCertificate: string; clientCertificate: string } };
    assert.match(amt.wired8021x.radiusRootCertificate, /^-----BEGIN CERTIFICATE-----[^]+-----END CERTIFICATE-----\n$/);
    assert.equal(new X509Certificate(amt.wired8021x.radiusRootCertificate).fingerprint256, new X509Certificate(radiusRoot.certPem).fingerprint256);
    assert.equal(amt.wired8021x.clientCertificate, 'site-ca-per-device');
    assert.ok(storedSettingsSchema.safeParse(settings).success, 'the stored form takes the PEM');
  });

  void it('refuses EAP-TLS without a RADIUS root or client certificate, a root that is no root, and 802.1X wireless without a root, naming each field', () => {
    const errors = errorsOf(`
amt:
  wired8021x: { protocol: EAP-TLS, username: amt-wired }
  wireless:
    - { profileName: a, ssid: A, authentication: WPA2-IEEE8021x, ieee8021x: { protocol: EAP-TLS, username: amt, clientCertificate: site-ca-per-device, radiusRootCertificate: { pemFile: leaf.pem } } }
    - { profileName: b, ssid: B, authentication: WPA2-IEEE8021x, priority: 2, ieee8021x: { protocol: EAP-TLS, username: amt, clientCertificate: site-ca-per-device, radiusRootCertificate: { pemFile: expired.pem } } }
    - { profileName: c, ssid: C, authentication: WPA2-IEEE8021x, priority: 3, ieee8021x: { protocol: PEAPv0/EAP-MSCHAPv2, username: amt, password: { passwordEnv: WIFI } } }
    - { profileName: d, ssid: D, authentication: WPA2-IEEE8021x, priority: 4, ieee8021x: { protocol: EAP-TLS, username: amt, clientCertificate: site-ca-per-device, radiusRootCertificate: { pemFile: two.pem } } }
    - { profileName: e, ssid: E, authentication: WPA2-IEEE8021x, priority: 5, ieee8021x: { protocol: PEAPv0/EAP-MSCHAPv2, username: amt, password: { passwordEnv: WIFI }, clientCertificate: site-ca-per-device, radiusRootCertificate: { pemFile: radius-root.pem } } }
    - { profileName: f, ssid: F, authentication: WPA2-IEEE8021x, priority: 6, ieee8021x: { protocol: EAP-TLS, username: amt, clientCertificate: site-ca-per-device, radiusRootCertificate: { pemFile: missing.pem } } }
`);
    const byKey = new Map(errors.map((e) => [e.slice(0, e.indexOf(':')), e]));
    assert.match(byKey.get('amt.wired8021x.clientCertificate') ?? '', /EAP-TLS needs a client certificate: write clientCertificate: site-ca-per-device/);
    assert.match(byKey.get('amt.wired8021x.radiusRootCertificate') ?? '', /EAP-TLS needs the RADIUS server's root CA/);
    assert.match(byKey.get('amt.wireless.0.ieee8021x.radiusRootCertificate') ?? '', /leaf\.pem .*is not a CA certificate/);
    assert.match(byKey.get('amt.wireless.1.ieee8021x.radiusRootCertificate') ?? '', /expired\.pem .*expired on/);
    assert.match(byKey.get('amt.wireless.2.ieee8021x.radiusRootCertificate') ?? '', /a wireless 802\.1X profile needs the RADIUS server's root CA/);
    assert.match(byKey.get('amt.wireless.3.ieee8021x.radiusRootCertificate') ?? '', /exactly one PEM certificate \(found 2\)/);
    assert.match(byKey.get('amt.wireless.5.ieee8021x.radiusRootCertificate') ?? '', /missing\.pem: ENOENT/);
    assert.match(byKey.get('amt.wireless.4.ieee8021x.clientCertificate') ?? '', /PEAPv0\/EAP-MSCHAPv2 takes no client certificate/);
    assert.equal(errors.length, 8, errors.join('\n'));
  });

  void it('the stored form refuses a RADIUS root that is not a self-signed CA', () => {
    const leaf = makeRadiusRoot('leaf', { ca: false }).certPem;
    const parsed = storedSettingsSchema.safeParse({ amt: { wired8021x: { protocol: 'EAP-TLS', username: 'x', clientCertificate: 'site-ca-per-device', radiusRootCertificate: leaf } } });
    assert.equal(parsed.success, false);
  });

  void it('reports YAML syntax errors and duplicate keys', () => {
    assert.match(errorsOf('amt: [unclosed\n')[0], /^YAML:/);
    assert.match(errorsOf('amt: {}\namt: {}\n')[0], /^YAML:.*[Uu]nique|^YAML:.*duplicate/i);
  });

  void it('the stored form holds vault references only', () => {
    const parsed = storedSettingsSchema.safeParse({ digestAccounts: [{ username: 'admin', password: 'Digest!Pw1' }] });
    assert.equal(parsed.success, false);
    assert.ok(storedSettingsSchema.safeParse({ digestAccounts: [{ username: 'admin', password: 'vault:00000000-0000-4000-8000-000000000000' }] }).success);
  });
});
