// The real Samba AD DC for integration tests. The runner starts one shared DC per test run
// (startSharedSamba) and hands test processes a 0600 JSON file with its connection facts;
// a test file run on its own starts (or joins) the same DC itself (useTestDirectory).
// Each test gets its own OU, deleted with everything in it afterwards.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { Client } from 'ldapts';
import { projectRoot } from '../../src/config/paths';
import { ensureSamba, type SambaHandle } from '../../src/stack/samba';

/** Env var naming the connection-facts file of the shared test DC. */
export const TEST_AD_ENV = 'AMTPROV_TEST_AD';

/** The connection facts of the shared DC that test processes read from the file the runner wrote. */
export type TestDirectoryFacts = Pick<SambaHandle, 'url' | 'realm' | 'baseDn' | 'bindDn' | 'bindPassword' | 'caCertPem' | 'tlsServerName' | 'krb5ConfigPath' | 'dir'>;

/** The test DC's directory: outside data/ (the dev stack's), kept across runs (provisioning costs seconds). */
export function testAdDir(): string {
  return path.join(projectRoot(), '.tools', 'test-ad');
}

function factsOf(handle: SambaHandle): TestDirectoryFacts {
  const { url, realm, baseDn, bindDn, bindPassword, caCertPem, tlsServerName, krb5ConfigPath, dir } = handle;
  return { url, realm, baseDn, bindDn, bindPassword, caCertPem, tlsServerName, krb5ConfigPath, dir };
}

function describeStart(handle: SambaHandle): string {
  const t = handle.timings;
  const parts = [
    t.installMs !== undefined ? `installed in ${t.installMs} ms` : undefined,
    t.provisionMs !== undefined ? `provisioned in ${t.provisionMs} ms` : undefined,
    handle.reused ? 'joined the running DC' : `LDAPS up ${t.startMs} ms after launch`,
  ].filter(Boolean);
  return `Samba AD DC (${handle.dir}): ${parts.join(', ')}`;
}

/** For test/run.ts: one DC for the whole run; env points every test process at it. */
export async function startSharedSamba(): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  const handle = await ensureSamba(testAdDir());
  console.error(describeStart(handle));
  // Every runner writes the same facts (same DC): write-then-rename so a reader never sees half a file.
  const file = path.join(handle.dir, 'test-connection.json');
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(factsOf(handle)), { mode: 0o600 });
  renameSync(temp, file);
  return { env: { [TEST_AD_ENV]: file }, stop: () => handle.stop() };
}

/** Runs fn with an LDAPS client bound as the domain administrator; always unbinds. */
export async function withAdminClient<T>(facts: TestDirectoryFacts, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ url: facts.url, tlsOptions: { ca: facts.caCertPem, servername: facts.tlsServerName } });
  try {
    await client.bind(facts.bindDn, facts.bindPassword);
    return await fn(client);
  } finally {
    await client.unbind();
  }
}

/** Deletes dn and everything below it, deepest first. */
export async function deleteTree(facts: TestDirectoryFacts, dn: string): Promise<void> {
  await withAdminClient(facts, async (client) => {
    const { searchEntries } = await client.search(dn, { scope: 'sub', attributes: ['1.1'] });
    const depth = (entry: string): number => entry.split(/(?<!\\),/).length;
    for (const entry of searchEntries.map((e) => e.dn).sort((a, b) => depth(b) - depth(a))) await client.del(entry);
  });
}

export interface TestDirectory {
  /** Connection facts of the DC; available from the first test on (set in a before hook). */
  facts(): TestDirectoryFacts;
  /** Creates OU=<prefix>-<random> under the base DN; it is deleted with its contents when test t ends. */
  uniqueOu(t: TestContext, prefix?: string): Promise<string>;
}

/**
 * Call at the top of a test file. Attaches to the runner's shared DC when $AMTPROV_TEST_AD is
 * set; otherwise starts (or joins) the test DC and returns its lease after the file's tests.
 */
export function useTestDirectory(): TestDirectory {
  let facts: TestDirectoryFacts | undefined;
  let own: SambaHandle | undefined;
  before(async () => {
    const file = process.env[TEST_AD_ENV];
    if (file) {
      facts = JSON.parse(readFileSync(file, 'utf8')) as TestDirectoryFacts;
      return;
    }
    own = await ensureSamba(testAdDir());
    console.error(describeStart(own));
    facts = factsOf(own);
  });
  after(async () => {
    await own?.stop();
  });
  const current = (): TestDirectoryFacts => {
    if (!facts) throw new Error('useTestDirectory(): the directory is not ready (use it inside tests, not at load time)');
    return facts;
  };
  return {
    facts: current,
    async uniqueOu(t, prefix = 't') {
      const f = current();
      const name = `${prefix}-${randomBytes(5).toString('hex')}`;
      const dn = `OU=${name},${f.baseDn}`;
      await withAdminClient(f, (client) => client.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: name }));
      t.after(() => deleteTree(f, dn));
      return dn;
    },
  };
}
