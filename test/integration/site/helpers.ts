// Shared by the site integration tests: a temporary data dir per test file (the master key
// is created there, 0600, like the embedded default), captured CLI output, reopening the
// store on the same SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../../src/cli/support';
import { openSiteStore, type SiteStore } from '../../../src/site/store';

export interface SiteFixture {
  dir: string;
  db: string;
  open(): Promise<SiteStore>;
  cleanup(): void;
}

/** Points AMTPROV_DATA_DIR at a fresh temp dir (this test file's process only). */
export function siteFixture(name: string): SiteFixture {
  const dir = mkdtempSync(path.join(tmpdir(), `amtprov-${name}-`));
  process.env.AMTPROV_DATA_DIR = dir;
  process.env.AMTPROV_OPERATOR = 'test-operator';
  delete process.env.AMTPROV_MASTER_KEY;
  delete process.env.AMTPROV_MASTER_KEY_FILE;
  const db = path.join(dir, 'site.sqlite');
  return { dir, db, open: () => openSiteStore({ location: db }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CapturedIo extends CliIo {
  stdout: string[];
  stderr: string[];
}

export function captureIo(): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
}
