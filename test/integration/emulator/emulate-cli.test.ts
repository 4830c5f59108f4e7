// `amtprov emulate` end to end: flags become device state, read back through the control API.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EMULATE_USAGE, runEmulateCommand } from '../../../src/cli/emulate';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import type { DeviceSummary } from '../../../src/emulator/device';
import { holdAddressBlock } from './support/addressBlock';
import { makeRoot } from './support/testPki';

let dir: string;
let rootFile: string;
let release: (() => Promise<void>) | undefined;
const root = makeRoot('CLI Trust Root');

before(async () => {
  release = await holdAddressBlock('127.0.16.1');
  dir = await mkdtemp(path.join(os.tmpdir(), 'emu-cli-'));
  rootFile = path.join(dir, 'root.pem');
  await writeFile(rootFile, root.pem);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await release?.();
});

/** Runs the command until `use` is done, then stops it like Ctrl-C would. */
async function withEmulator(args: string[], use: (controlUrl: string, lines: string[]) => Promise<void>): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const abort = new AbortController();
  let announce: (url: string) => void = () => undefined;
  const ready = new Promise<string>((resolve) => (announce = resolve));
  const running = runEmulateCommand(args, {
    out: (line) => {
      lines.push(line);
      const match = /^control API: (http:\/\/\S+)/.exec(line);
      if (match) announce(match[1]);
    },
    err: (line) => errors.push(line),
    signal: abort.signal,
  });
  try {
    const url = await Promise.race([ready, running.then((code) => Promise.reject(new Error(`exited ${code}: ${errors.join('; ')}`)))]);
    await use(url, lines);
  } finally {
    abort.abort();
  }
  return { code: await running, lines };
}

async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

async function checkAdmin(url: string, device: number, password: string): Promise<boolean> {
  const res = await fetch(`${url}/devices/${device}/check-admin`, { method: 'POST', body: JSON.stringify({ username: 'admin', password }) });
  return ((await res.json()) as { matches: boolean }).matches;
}

const baseArgs = (stateDir: string) => [
  '--count', '3', '--base-ip', '127.0.16.1', '--state-dir', stateDir, '--provision-server', 'none',
  '--domain-suffix', 'cli.example.com', '--trust-root', rootFile,
  '--admin-password', 'First!Pass1', '--admin-password', 'Second!Pass2',
  '--firmware-version', '12.0.45', '--uuid-seed', 'cli-seed', '--control-host', '127.0.16.250', '--control-port', '0', '--no-heci',
];

void describe('amtprov emulate', () => {
  void it('documents every flag and the control API in --help', async () => {
    const out: string[] = [];
    assert.equal(await runEmulateCommand(['--help'], { out: (l) => out.push(l), err: () => undefined }), 0);
    for (const flag of ['--count', '--base-ip', '--state-dir', '--provision-server', '--domain-suffix', '--trust-root', '--admin-password', '--firmware', '--firmware-version', '--time-scale', '--uuid-seed', '--control-port', '--no-heci', '--no-radio', '--no-radio-devices']) {
      assert.ok(out.join('\n').includes(flag), flag);
    }
    assert.equal(out.join('\n'), EMULATE_USAGE);
    assert.match(EMULATE_USAGE, /POST {3}\/devices\/\{id\}\/faults/);
  });

  void it('refuses missing or malformed flags with exit code 2, printing no password', async () => {
    const errors: string[] = [];
    const io = { out: () => undefined, err: (l: string) => errors.push(l) };
    assert.equal(await runEmulateCommand(['--admin-password', 'Secret!Pw9'], io), 2);
    assert.equal(await runEmulateCommand(['--domain-suffix', 'x.com', '--admin-password', 'Secret!Pw9', '--provision-server', 'nope'], io), 2);
    assert.equal(await runEmulateCommand(['--domain-suffix', 'x.com', '--admin-password', 'Secret!Pw9', '--no-radio-devices', '3-1'], io), 2);
    assert.equal(await runEmulateCommand(['--domain-suffix', 'x.com', '--admin-password', 'Secret!Pw9', '--no-radio', '--no-radio-devices', '1'], io), 2);
    assert.equal(await runEmulateCommand(['--domain-suffix', 'x.com', '--admin-password', 'Secret!Pw9', '--firmware', 'ancient'], io), 2);
    assert.equal(await runEmulateCommand(['--domain-suffix', 'x.com', '--admin-password', 'Secret!Pw9', '--firmware', 'early', '--firmware-version', '5.2.70'], io), 2);
    assert.equal(await runEmulateCommand(['--domain-suffix', 'x.com', '--admin-password', 'Secret!Pw9', '--firmware-version', 'eleven'], io), 2);
    assert.equal(errors.some((l) => l.includes('Secret!Pw9')), false);
  });

  void it('turns flags into devices: addresses, UUIDs from the seed, trust roots, passwords round-robin, firmware, no HECI', async () => {
    const stateDir = path.join(dir, 'state');
    let uuids: string[] = [];
    const { code, lines } = await withEmulator(baseArgs(stateDir), async (url) => {
      const devices = await getJson<DeviceSummary[]>(`${url}/devices`);
      assert.deepEqual(devices.map((d) => d.ip), ['127.0.16.1', '127.0.16.2', '127.0.16.3']);
      assert.ok(devices.every((d) => d.firmwareVersion === '12.0.45' && d.hostInterfacePath === null && d.hello === null));
      uuids = devices.map((d) => d.uuid);
      assert.equal(new Set(uuids).size, 3);
      const firmware = await getJson<{ firmware: { trustedRootHashes: { algorithm: string; hash: string }[]; dnsSuffix: string } }>(`${url}/devices/1`);
      assert.deepEqual(firmware.firmware.trustedRootHashes.map((h) => [h.algorithm, h.hash]), [
        ['sha256', crypto.createHash('sha256').update(root.der).digest('hex')],
        ['sha384', crypto.createHash('sha384').update(root.der).digest('hex')],
        ['sha1', crypto.createHash('sha1').update(root.der).digest('hex')],
      ]);
      assert.equal(firmware.firmware.dnsSuffix, 'cli.example.com');
      assert.deepEqual(
        await Promise.all([0, 1, 2].map((i) => checkAdmin(url, i, i % 2 === 0 ? 'First!Pass1' : 'Second!Pass2'))),
        [true, true, true],
      );
      assert.equal(await checkAdmin(url, 1, 'First!Pass1'), false);
    });
    assert.equal(code, 0);
    assert.equal(lines.some((l) => /Pass[12]/.test(l)), false, 'no password printed');
    // Same seed, same state dir: the same devices come back (a power cycle).
    await withEmulator(baseArgs(stateDir), async (url) => {
      assert.deepEqual((await getJson<DeviceSummary[]>(`${url}/devices`)).map((d) => d.uuid), uuids);
    });
    await withEmulator([...baseArgs(path.join(dir, 'other')), '--uuid-seed', 'another-seed'], async (url) => {
      const other = (await getJson<DeviceSummary[]>(`${url}/devices`)).map((d) => d.uuid);
      assert.equal(other.some((u) => uuids.includes(u)), false);
    });
  });

  void it('defaults to the modern firmware; --firmware early picks the early default', async () => {
    const stateDir = path.join(dir, 'families');
    const withoutVersion = baseArgs(stateDir).filter((arg, i, all) => arg !== '--firmware-version' && all[i - 1] !== '--firmware-version');
    const versions = async (args: string[]): Promise<string[]> => {
      let seen: string[] = [];
      await withEmulator([...withoutVersion, ...args], async (url) => {
        seen = (await getJson<DeviceSummary[]>(`${url}/devices`)).map((d) => d.firmwareVersion);
      });
      return seen;
    };
    assert.deepEqual(await versions([]), Array(3).fill(DEFAULT_FIRMWARE_VERSION.modern));
    assert.deepEqual(await versions(['--firmware', 'early']), Array(3).fill(DEFAULT_FIRMWARE_VERSION.early), 'a reboot re-reads the firmware version');
  });

  void it('--no-radio-devices and --no-radio set the radio at boot; without them the state file decides', async () => {
    const stateDir = path.join(dir, 'radio');
    const radios = async (args: string[]): Promise<boolean[]> => {
      let seen: boolean[] = [];
      await withEmulator([...baseArgs(stateDir), ...args], async (url) => {
        seen = (await getJson<DeviceSummary[]>(`${url}/devices`)).map((d) => d.hasRadio);
      });
      return seen;
    };
    assert.deepEqual(await radios(['--no-radio-devices', '0,2-2']), [false, true, false]);
    assert.deepEqual(await radios([]), [false, true, false]);
    assert.deepEqual(await radios(['--no-radio']), [false, false, false]);
  });
});
