// Properties of the settings reader (src/site/settingsFile.ts over src/site/settingsSchema.ts):
// any YAML text or YAML-ish object is either valid settings or refused with errors that each
// name a path of the input (never a secret, never a throw); generated valid settings survive
// apply (sealed into the vault) and show's redaction with every non-secret value intact and
// every secret in the vault, not in the output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import YAML from 'yaml';
import { openSqliteDb } from '../../../src/site/sqliteDb';
import { redactSecrets } from '../../../src/site/settings';
import { parseSettingsYaml } from '../../../src/site/settingsFile';
import { AMT_REALMS } from '../../../src/site/settingsSchema';
import { SiteStore } from '../../../src/site/store';
import { isSecretRef } from '../../../src/site/vault';
import { runs } from './propertyRuns';

const BASE_DIR = '/nonexistent-settings-dir';
// Every secret value carries this marker, so a leak into an error or the redacted view is visible.
const MARK = 'Zq9!leak';
const secretValue = fc.string({ unit: fc.constantFrom(...'abcXYZ019#$%'), minLength: 2, maxLength: 20 }).map((s) => `${MARK}${s}`);

const KEYS = ['directory', 'url', 'bindDn', 'bindPassword', 'computerOu', 'kerberosRealm', 'digestAccounts', 'username', 'password',
  'passwordEnv', 'passwordFile', 'amt', 'configMgrBehaviour', 'pingResponse', 'powerScheme', 'userAcls', 'realms', 'access',
  'kerberosSid', 'wireless', 'profileName', 'ssid', 'authentication', 'passphrase', 'ieee8021x', 'protocol', 'mebx', 'policy',
  'provisioningDeadline', 'wired8021x'];
const leaf = fc.oneof(fc.constantFrom('SP1', 'SP2', 'ldaps://dc.amt.test', 'if-default', 'WPA2-PSK', 'EAP-TLS', '24h', 'ENV_A', 'admin', 'ACL', 'S-1-5-21-1'),
  fc.string({ maxLength: 10 }), fc.integer({ min: -5, max: 100_000 }), fc.boolean(), fc.constant(null), fc.double());
const yamlish = fc.letrec<{ value: unknown; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('object'), fc.array(tie('value'), { maxLength: 3 })),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), tie('value'), { maxKeys: 5, noNullPrototype: true }),
})).object;

/** Every key path present in the input (as the settings reader prints it: keys joined by dots). */
function paths(value: unknown, prefix: string[] = [], into = new Set<string>(['(top level)'])): Set<string> {
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const here = [...prefix, key];
      into.add(here.join('.'));
      paths(child, here, into);
    }
  }
  return into;
}

function assertErrorsNamePaths(input: unknown, errors: string[], secrets: string[]): void {
  assert.ok(errors.length > 0, 'a refusal has at least one error');
  const known = paths(input);
  for (const error of errors) {
    for (const secret of secrets) assert.ok(!error.includes(secret), `error leaks a secret: ${error}`);
    if (error.startsWith('YAML: ')) continue;
    // The path is one the input has, or a missing key directly under one it has.
    const named = [...known].some((p) => error.startsWith(`${p}: `)) || [...known].some((p) => new RegExp(`^${escapeRegExp(p === '(top level)' ? '' : `${p}.`)}[^.:]+: `).test(error));
    assert.ok(named, `error does not start with a path of the input: ${error}`);
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('settings reader properties', () => {
  // Found by the property below (seed 20261201): YAML aliases threw ReferenceError out of
  // parseSettingsYaml, so `settings apply` crashed instead of naming the problem.
  it('an unresolved alias or an alias bomb is a YAML error, not a throw', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...['b', 'c', 'd'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abc'[i]}`).join(', ')}]`), `e: [${Array(9).fill('*d').join(', ')}]`].join('\n');
    for (const text of ['*!', 'amt: *missing', bomb]) {
      const result = parseSettingsYaml(text, BASE_DIR, {});
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.errors.join('\n'), /^YAML: .*alias/m);
    }
  });

  it('any text is valid settings or YAML/schema errors, never a throw', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (text) => {
      const result = parseSettingsYaml(text, BASE_DIR, {});
      if (!result.ok) assert.ok(result.errors.length > 0);
    }), runs());
  });

  it('any YAML-ish object is valid settings or errors naming paths of the input, with no secret in them', () => {
    fc.assert(fc.property(yamlish, fc.array(secretValue, { minLength: 2, maxLength: 2 }), (input, [a, b]) => {
      const env = { ENV_A: a, ENV_B: b };
      const result = parseSettingsYaml(YAML.stringify(input), BASE_DIR, env);
      if (!result.ok) assertErrorsNamePaths(input, result.errors, [a, b]);
    }), runs());
  });
});

// Valid settings: generated YAML input, the env it reads secrets from, and what show must print.
interface Valid { input: Record<string, unknown>; env: Record<string, string>; shown: Record<string, unknown> }

const amtUser = fc.stringMatching(/^[a-z][a-z0-9._-]{0,11}$/).filter((u) => !/^(admin|administrator)$/i.test(u));
const amtPassword = fc.tuple(fc.constantFrom(...'ABCXYZ'), fc.constantFrom(...'abcxyz'), fc.constantFrom(...'0189'), fc.constantFrom(...'!#$%()'),
  fc.string({ unit: fc.constantFrom(...'abcdefXYZ2345!#$'), minLength: 4, maxLength: 20 })).map((p) => p.join(''));
const realms = fc.uniqueArray(fc.constantFrom(...Object.keys(AMT_REALMS)), { minLength: 1, maxLength: 4 });

const validSettings: fc.Arbitrary<Valid> = fc.record({
  digest: fc.uniqueArray(fc.tuple(amtUser, amtPassword), { maxLength: 3, selector: ([u]) => u }),
  acls: fc.array(fc.oneof(
    fc.record({ kerberosSid: fc.nat().map((n) => `S-1-5-21-${n}-513`), access: fc.constantFrom('local', 'network', 'any'), realms }, { noNullPrototype: true }),
    fc.record({ username: amtUser, password: amtPassword, realms }, { noNullPrototype: true }),
  ), { maxLength: 3 }),
  flags: fc.record({ pingResponse: fc.boolean(), webConsole: fc.boolean(), serialOverLan: fc.boolean(), ideRedirection: fc.boolean() }, { noNullPrototype: true }),
  powerScheme: fc.integer({ min: 1, max: 255 }),
  behaviour: fc.constantFrom('SP1', 'SP2'),
  mebx: fc.option(fc.tuple(fc.constantFrom('if-default', 'always'), amtPassword), { nil: undefined }),
  deadline: fc.oneof(fc.integer({ min: 60, max: 86400 }).map((s) => [s, s] as const), fc.integer({ min: 1, max: 48 }).map((h) => [`${h}h`, h * 3600] as const)),
}).map(({ digest, acls, flags, powerScheme, behaviour, mebx, deadline }) => {
  const env: Record<string, string> = {};
  const source = (value: string) => {
    const name = `SECRET_${Object.keys(env).length}`;
    env[name] = value;
    return { passwordEnv: name };
  };
  const SHOWN = '(secret in vault)';
  const aclIn = acls.map((acl) => ('password' in acl ? { ...acl, password: source(acl.password) } : acl));
  const aclShown = acls.map((acl) => ('password' in acl ? { ...acl, password: SHOWN, access: 'network' } : acl));
  const input = {
    digestAccounts: digest.map(([username, password]) => ({ username, password: source(password) })),
    amt: { ...flags, powerScheme, configMgrBehaviour: behaviour, userAcls: aclIn, ...(mebx ? { mebx: { policy: mebx[0], password: source(mebx[1]) } } : {}) },
    provisioningDeadline: deadline[0],
  };
  const shown = {
    digestAccounts: digest.map(([username]) => ({ username, password: SHOWN })),
    amt: { ...flags, powerScheme, configMgrBehaviour: behaviour, userAcls: aclShown, wireless: [], mebx: mebx ? { policy: mebx[0], password: SHOWN } : { policy: 'never' } },
    provisioningDeadline: deadline[1],
  };
  return { input, env, shown };
});

describe('settings apply/show properties', () => {
  it('valid generated settings round trip through apply and show: values kept, secrets sealed and redacted', async () => {
    await fc.assert(fc.asyncProperty(validSettings, async ({ input, env, shown }) => {
      const parsed = parseSettingsYaml(YAML.stringify(input), BASE_DIR, env);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('\n'));
      const db = openSqliteDb(':memory:');
      try {
        const store = new SiteStore(db, { activeId: 'k1', keys: new Map([['k1', randomBytes(32)]]) }, () => new Date(0));
        const stored = await store.settings.apply(parsed.settings);
        assert.deepEqual(redactSecrets(stored), shown);
        // Each vault reference opens to the secret its source held, in the order they were read.
        const refs = JSON.stringify(stored).match(/vault:[0-9a-f-]{36}/g) ?? [];
        assert.ok(refs.every(isSecretRef));
        assert.deepEqual(new Set(await Promise.all(refs.map((ref) => store.vault.getSecret(ref)))), new Set(Object.values(env)));
        const text = JSON.stringify(redactSecrets(stored));
        for (const secret of Object.values(env)) assert.ok(!text.includes(secret), 'show prints a secret');
      } finally {
        await db.close();
      }
    }), runs(0.3));
  });
});
