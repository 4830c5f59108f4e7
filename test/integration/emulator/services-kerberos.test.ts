// Black-box: AMT_KerberosSettingData over real mutual TLS + Digest. AMT 8+ firmware takes the
// AD account's pass phrase and derives its AES keys itself (RFC 3962), strictly checking the
// salt; older firmware takes only an RC4-HMAC master key. The keys are compared with what the
// server side's directory module derives from the same password (a test tool here), through
// the SHA-256 digests the control API shows, never the keys themselves.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AMT } from '@device-management-toolkit/wsman-messages';
import { aesStringToKey, computerAccountSalt } from '../../../src/directory';
import { registerServices } from '../../../src/emulator/services';
import { asArray, faultOf, okBody, putRequest, wsmanPoster, type WsmanPost } from './services-client';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { validProvisioningChain } from './support/testPki';

const SUFFIX = 'kerberos.example.com';
const REALM = 'CORP.EXAMPLE.COM';
const HOST = 'PC-042';
const PASSWORD = `Ad!${crypto.randomBytes(12).toString('base64')}`;
const amt = new AMT.Messages();

interface KerberosView {
  realm: string;
  keyVersion: number;
  enabled: boolean;
  encryption: string | null;
  algorithms: number[];
  salt?: string;
  iterationCount?: number;
  keys: Record<string, string>;
}

let modern: Harness;
let legacy: Harness;
let sendModern: WsmanPost;
let sendLegacy: WsmanPost;

const kerberosOf = async (h: Harness): Promise<KerberosView | null> =>
  (await h.control.get<{ firmware: { kerberos: KerberosView | null } }>('/devices/0?secrets=reveal')).firmware.kerberos;
const sha256 = (key: Buffer): string => crypto.createHash('sha256').update(key).digest('hex');

/** The AES form as the server sends it (AMT 8+); parts overridable to make it wrong. */
function aesPut(overrides: Partial<Record<'RealmName' | 'KeyVersion' | 'Passphrase' | 'Salt' | 'IterationCount', string>> & { algorithms?: number[] } = {}): string {
  const fields = {
    RealmName: REALM,
    KeyVersion: '2',
    KrbEnabled: 'true',
    MaximumClockTolerance: '5',
    Passphrase: PASSWORD.replace(/&/g, '&amp;').replace(/</g, '&lt;'),
    Salt: computerAccountSalt(REALM, HOST),
    IterationCount: '4096',
    ...overrides,
  };
  const { algorithms = [1, 2], ...scalars } = fields;
  const xml = Object.entries(scalars).map(([name, value]) => `<h:${name}>${value}</h:${name}>`).join('');
  return putRequest('AMT_KerberosSettingData', xml + algorithms.map((a) => `<h:ConfiguredEncryptionAlgorithms>${a}</h:ConfiguredEncryptionAlgorithms>`).join(''));
}

before(async () => {
  const provisioning = validProvisioningChain(SUFFIX);
  const common = { count: 1, domainSuffix: SUFFIX, trustedRootHashes: provisioning.trustedRootHashes, registerServices };
  modern = await startHarness({ ...common, baseIp: '127.0.25.1', controlHost: '127.0.25.250', firmwareVersion: '11.8.50' });
  legacy = await startHarness({ ...common, baseIp: '127.0.26.1', controlHost: '127.0.26.250', firmwareVersion: '7.1.20' });
  const tlsClient = { keyPem: provisioning.keyPem, chainPems: provisioning.chainPems };
  sendModern = wsmanPoster(() => ({ host: '127.0.25.1', port: 16993, tls: tlsClient, username: 'admin', password: MEBX_PASSWORD }));
  sendLegacy = wsmanPoster(() => ({ host: '127.0.26.1', port: 16993, tls: tlsClient, username: 'admin', password: MEBX_PASSWORD }));
});

after(async () => {
  await modern?.close();
  await legacy?.close();
});

void describe('AMT 8+ firmware: AES keys from the pass phrase', () => {
  void it('refuses the AES form while the device has no host name to check the salt with', async () => {
    const fault = faultOf(await sendModern(aesPut()));
    assert.equal(fault.name, 'InvalidRepresentation');
    assert.match(fault.reason, /no host name/);
    assert.equal(await kerberosOf(modern), null);
  });

  void it('derives AES128 and AES256 keys equal to the directory\'s from the account password; Get shows neither key nor pass phrase', async () => {
    okBody(await sendModern(putRequest('AMT_GeneralSettings', `<h:HostName>${HOST.toLowerCase()}</h:HostName><h:DomainName>corp.example.com</h:DomainName>`)), 'AMT_GeneralSettings');
    const response = await sendModern(aesPut());
    okBody(response, 'AMT_KerberosSettingData');
    assert.equal(response.body.includes(PASSWORD), false, 'the Put response does not echo the pass phrase');
    const salt = computerAccountSalt(REALM, HOST);
    assert.deepEqual(await kerberosOf(modern), {
      realm: REALM, keyVersion: 2, enabled: true, maximumClockTolerance: 5, encryption: 'aes', algorithms: [1, 2], salt, iterationCount: 4096,
      keys: {
        'aes128-cts-hmac-sha1-96': sha256(aesStringToKey(PASSWORD, salt, 16)),
        'aes256-cts-hmac-sha1-96': sha256(aesStringToKey(PASSWORD, salt, 32)),
      },
    });
    const got = okBody(await sendModern(amt.KerberosSettingData.Get()), 'AMT_KerberosSettingData');
    assert.deepEqual(asArray(got.SupportedEncryptionAlgorithms), ['0', '1', '2']);
    assert.deepEqual(asArray(got.ConfiguredEncryptionAlgorithms), ['1', '2']);
    assert.deepEqual(['Passphrase', 'Salt', 'IterationCount', 'MasterKey'].filter((name) => name in got), []);
  });

  void it('refuses a wrong salt, bad iteration counts, bad algorithm lists, an empty or missing pass phrase, and MasterKey with it; nothing changes', async () => {
    const before = await kerberosOf(modern);
    const refusals = [
      aesPut({ Salt: computerAccountSalt(REALM, 'other-pc') }),
      aesPut({ Salt: `${REALM}host${HOST}.${REALM}` }),
      aesPut({ IterationCount: '0' }),
      aesPut({ IterationCount: '100001' }),
      aesPut({ algorithms: [] }),
      aesPut({ algorithms: [0, 2] }),
      aesPut({ algorithms: [3] }),
      aesPut({ algorithms: [2, 2] }),
      aesPut({ Passphrase: '' }),
      putRequest('AMT_KerberosSettingData', `<h:RealmName>${REALM}</h:RealmName><h:KrbEnabled>true</h:KrbEnabled><h:Salt>${computerAccountSalt(REALM, HOST)}</h:Salt>`),
      putRequest('AMT_KerberosSettingData', `<h:KrbEnabled>true</h:KrbEnabled><h:MasterKey>${crypto.randomBytes(16).toString('base64')}</h:MasterKey><h:Passphrase>x</h:Passphrase><h:Salt>${computerAccountSalt(REALM, HOST)}</h:Salt>`),
      putRequest('AMT_KerberosSettingData', '<h:RealmName>OTHER.EXAMPLE.COM</h:RealmName><h:KrbEnabled>true</h:KrbEnabled>'),
    ];
    for (const body of refusals) {
      const fault = faultOf(await sendModern(body));
      assert.equal(fault.name, 'InvalidRepresentation', body);
      assert.equal(fault.reason.includes(PASSWORD), false);
    }
    assert.deepEqual(await kerberosOf(modern), before);
  });

  void it('keeps the keys when only KrbEnabled / KeyVersion change, and after a restart (flash)', async () => {
    const before = await kerberosOf(modern);
    okBody(await sendModern(putRequest('AMT_KerberosSettingData', '<h:KeyVersion>3</h:KeyVersion><h:KrbEnabled>true</h:KrbEnabled><h:ConfiguredEncryptionAlgorithms>2</h:ConfiguredEncryptionAlgorithms><h:ConfiguredEncryptionAlgorithms>1</h:ConfiguredEncryptionAlgorithms>')), 'AMT_KerberosSettingData');
    await modern.restart();
    assert.deepEqual(await kerberosOf(modern), { ...before, keyVersion: 3 });
  });

  void it('still takes an RC4-HMAC MasterKey (RC4 stays a supported algorithm on AMT 8+)', async () => {
    const masterKey = crypto.randomBytes(16);
    okBody(await sendModern(putRequest('AMT_KerberosSettingData', `<h:RealmName>${REALM}</h:RealmName><h:KrbEnabled>true</h:KrbEnabled><h:MasterKey>${masterKey.toString('base64')}</h:MasterKey>`)), 'AMT_KerberosSettingData');
    const view = await kerberosOf(modern);
    assert.deepEqual([view?.encryption, view?.algorithms, view?.keys], ['rc4-hmac', [0], { 'rc4-hmac': sha256(masterKey) }]);
  });
});

void describe('firmware before AMT 8: RC4-HMAC only', () => {
  void it('refuses the AES form and reports RC4 as the only supported algorithm', async () => {
    okBody(await sendLegacy(putRequest('AMT_GeneralSettings', `<h:HostName>${HOST.toLowerCase()}</h:HostName><h:DomainName>corp.example.com</h:DomainName>`)), 'AMT_GeneralSettings');
    const fault = faultOf(await sendLegacy(aesPut()));
    assert.deepEqual([fault.name, /AMT 8 or later/.test(fault.reason)], ['InvalidRepresentation', true]);
    assert.equal(await kerberosOf(legacy), null);
    const got = okBody(await sendLegacy(amt.KerberosSettingData.Get()), 'AMT_KerberosSettingData');
    assert.deepEqual(asArray(got.SupportedEncryptionAlgorithms), ['0']);
  });

  void it('takes the RC4-HMAC master key', async () => {
    const masterKey = crypto.randomBytes(16);
    okBody(await sendLegacy(putRequest('AMT_KerberosSettingData', `<h:RealmName>${REALM}</h:RealmName><h:KeyVersion>1</h:KeyVersion><h:EncryptionAlgorithm>0</h:EncryptionAlgorithm><h:MasterKey>${masterKey.toString('base64')}</h:MasterKey><h:KrbEnabled>true</h:KrbEnabled>`)), 'AMT_KerberosSettingData');
    assert.deepEqual((await kerberosOf(legacy))?.keys, { 'rc4-hmac': sha256(masterKey) });
  });
});
