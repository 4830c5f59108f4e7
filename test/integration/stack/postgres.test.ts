// The throwaway PostgreSQL of the dev stack and tests: starts from Debian's binaries, keeps its
// data across restarts, and demands the generated superuser password even on loopback.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { postgresBinDir, startPostgres } from '../../../src/stack/postgres';

const run = promisify(execFile);

async function psql(url: string, sql: string): Promise<string> {
  const { stdout } = await run(path.join(postgresBinDir(), 'psql'), ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', url, '-c', sql]);
  return stdout.trim();
}

test('a database created survives a restart, and a wrong password is refused', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-pg-'));
  try {
    const first = await startPostgres({ dir, host: '127.0.0.1' });
    const url = await first.createDatabase('store_test');
    assert.equal(await first.createDatabase('store_test'), url, 'creating an existing database is a no-op');
    await psql(url, 'CREATE TABLE kept (n integer); INSERT INTO kept VALUES (42)');
    const wrong = new URL(url);
    wrong.password = 'not-the-password';
    await assert.rejects(psql(wrong.toString(), 'SELECT 1'), /password authentication failed/);
    await first.stop();
    assert.equal(statSync(path.join(dir, 'superuser.password')).mode & 0o077, 0, 'password file is private');

    const second = await startPostgres({ dir, host: '127.0.0.1' });
    try {
      assert.equal(await psql(await second.createDatabase('store_test'), 'SELECT n FROM kept'), '42');
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database name that is not a plain identifier is refused before any SQL runs', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-pg-'));
  const pg = await startPostgres({ dir, host: '127.0.0.1' });
  try {
    await assert.rejects(pg.createDatabase("x'; DROP DATABASE postgres; --"), /lower-case letters, digits and _/);
    assert.equal(await psql(pg.superuserUrl(), "SELECT count(*) FROM pg_database WHERE datname = 'postgres'"), '1');
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
