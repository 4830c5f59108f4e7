// MIT Kerberos client tools against the test DC's KDC: a TGT from a password (given on
// stdin, never on the command line) or from a keytab we build from derived keys.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable } from '../../../src/stack/samba/runTool';

export const kinitPath = findExecutable('kinit');

/** Kerberos etype numbers (RFC 3961/3962/4757). */
export const ETYPE = {
  aes128: { number: 17, name: 'aes128-cts-hmac-sha1-96' },
  aes256: { number: 18, name: 'aes256-cts-hmac-sha1-96' },
  rc4Hmac: { number: 23, name: 'rc4-hmac' },
} as const;

interface Result {
  code: number;
  output: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString('utf8') }));
    // A tool that exits without reading stdin (kinit -k) makes the write fail with EPIPE; that is not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

const counted = (s: string | Buffer): Buffer => {
  const bytes = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
  return Buffer.concat([u16(bytes.length), bytes]);
};

/** An MIT keytab (format 0x0502) holding the given keys for one single-component principal. */
export function keytab(principal: string, realm: string, kvno: number, keys: { etype: number; key: Buffer }[]): Buffer {
  const entries = keys.map(({ etype, key }) => {
    const body = Buffer.concat([
      u16(1), counted(realm), counted(principal), u32(1 /* KRB5_NT_PRINCIPAL */), u32(Math.floor(Date.now() / 1000)),
      Buffer.from([kvno & 0xff]), u16(etype), counted(key), u32(kvno),
    ]);
    return Buffer.concat([u32(body.length), body]);
  });
  return Buffer.concat([Buffer.from([0x05, 0x02]), ...entries]);
}

/** A scratch dir with its own credential cache; removed by cleanup(). */
export function kerberosScratch(krb5ConfigPath: string): { env: NodeJS.ProcessEnv; dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-krb5-'));
  const env = { ...process.env, KRB5_CONFIG: krb5ConfigPath, KRB5CCNAME: `FILE:${path.join(dir, 'ccache')}` };
  return { env, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function kinitWithPassword(env: NodeJS.ProcessEnv, principal: string, password: string): Promise<Result> {
  return run(kinitPath ?? 'kinit', [principal], env, `${password}\n`);
}

/**
 * kinit from a keytab, asking the KDC for this one enctype only (otherwise it answers with
 * the strongest the account has, and kinit looks for that one in the keytab).
 */
export function kinitWithKeytab(env: NodeJS.ProcessEnv, dir: string, principal: string, tab: Buffer, enctype: string): Promise<Result> {
  const stamp = `${Date.now()}-${enctype}`;
  const file = path.join(dir, `${stamp}.keytab`);
  writeFileSync(file, tab, { mode: 0o600 });
  const override = path.join(dir, `${stamp}.conf`);
  writeFileSync(override, `[libdefaults]\n\tdefault_tkt_enctypes = ${enctype}\n`);
  // KRB5_CONFIG is a search list: earlier files win for the same setting.
  return run(kinitPath ?? 'kinit', ['-k', '-t', file, principal], { ...env, KRB5_CONFIG: `${override}:${env.KRB5_CONFIG ?? ''}` });
}

/** Asks the KDC for a service ticket (with the TGT in the cache) and lists the cache with etypes. */
export async function serviceTicket(env: NodeJS.ProcessEnv, spn: string): Promise<Result> {
  const kvno = await run(findExecutable('kvno') ?? 'kvno', [spn], env);
  if (kvno.code !== 0) return kvno;
  return run(findExecutable('klist') ?? 'klist', ['-e'], env);
}
