// The benchmark's emulated fleets. Each keeps its flash files under .tools/bench-fleet-<N>/
// so the per-device RSA key (~160 ms each) is made once per machine; before every run the
// devices are booted without Hellos and unprovisioned in full through the control API, so
// the measured fleet starts from factory state and its Hellos all begin together.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startFleet, trustedHashesOfRoot, type Fleet } from '../../src/emulator/fleet';
import { deviceAddresses, deviceUuid } from '../../src/emulator/fleetAddressing';
import type { TimingProfileName } from '../../src/emulator/firmware/timing';
import type { HelloTarget } from '../../src/emulator/hello/helloSender';
import { generateAmtPassword } from '../../src/site/amtPassword';
import { projectRoot } from '../../src/config/paths';
import { BENCH_DOMAIN } from './benchSite';

export interface FleetSpec {
  label: 'temporal' | 'plain' | 'chaos' | 'baseline';
  count: number;
  baseIp: string;
  controlHost: string;
  firmwareVersion?: string;
  /** Where the fleet's state dir lives; default .tools/bench-fleet-<count> (the --latency baseline lives under its N's). */
  stateRoot?: string;
  /** The emulator's timing profile (--latency: real-firmware); default instant. */
  timing?: TimingProfileName;
  /** Keys made once ahead of GenerateKeyPair (src/emulator/firmware/preparedKeys.ts): no keygen CPU in the measured window. */
  preparedKeys?: boolean;
}

export interface FleetLayout {
  stateDir: string;
  uuidSeed: string;
  uuids: string[];
  addresses: string[];
}

export function benchStateRoot(count: number): string {
  return path.join(projectRoot(), '.tools', `bench-fleet-${count}`);
}

export function fleetLayout(spec: FleetSpec): FleetLayout {
  const uuidSeed = `bench-${spec.label}-${spec.count}`;
  return {
    stateDir: path.join(spec.stateRoot ?? benchStateRoot(spec.count), spec.label),
    uuidSeed,
    uuids: Array.from({ length: spec.count }, (_, i) => deviceUuid(uuidSeed, i)),
    addresses: deviceAddresses(spec.baseIp, spec.count),
  };
}

/**
 * The MEBx password the fleet was first booted with. The flash keeps it across runs (and a
 * full unprovision restores the admin account from it), so it must stay the same: kept in a
 * 0600 file next to the flash files, outside git.
 */
export function fleetDevicePassword(count: number): string {
  const file = path.join(benchStateRoot(count), 'device-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const password = generateAmtPassword(16);
  writeFileSync(file, password, { mode: 0o600, flag: 'wx' });
  return password;
}

export interface FleetStart {
  spec: FleetSpec;
  rootPem: string;
  devicePassword: string;
  /** Hello destination; null = no Hellos (reset, and the plain baseline which needs none). */
  helloTarget: HelloTarget | null;
}

/** A measured fleet whose devices all power on together once every one has booted, so their Hellos (and runs) start at once. */
export async function startBenchFleetTogether(options: FleetStart): Promise<Fleet> {
  const fleet = await startBenchFleet(options, false);
  try {
    await Promise.all(fleet.devices.map((d) => d.powerOn()));
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return fleet;
}

/** A fleet for a measured phase (Hellos on) or for the reset (Hellos off). */
export function startBenchFleet(options: FleetStart, powerOn = true): Promise<Fleet> {
  const { spec } = options;
  const layout = fleetLayout(spec);
  return startFleet({
    count: spec.count,
    baseIp: spec.baseIp,
    stateDir: layout.stateDir,
    provisionServer: options.helloTarget,
    domainSuffix: BENCH_DOMAIN,
    trustedRootHashes: trustedHashesOfRoot(options.rootPem),
    adminPasswords: [options.devicePassword],
    // Real device time: a device still unprovisioned after a minute sends its next Hello, as in the field.
    timeScale: 1,
    uuidSeed: layout.uuidSeed,
    control: { host: spec.controlHost, port: 0 },
    ...(spec.firmwareVersion ? { firmwareVersion: spec.firmwareVersion } : {}),
    ...(spec.timing ? { timing: spec.timing } : {}),
    preparedKeys: spec.preparedKeys ?? false,
    powerOn,
  });
}

async function unprovisionAll(fleet: Fleet): Promise<number> {
  let reset = 0;
  const queue = [...fleet.devices];
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let device = queue.shift(); device; device = queue.shift()) {
      const response = await fetch(`${fleet.controlUrl}/devices/${device.firmware.uuid}/unprovision`, {
        method: 'POST', body: JSON.stringify({ mode: 'full' }), headers: { 'content-type': 'application/json' },
      });
      if (!response.ok) throw new Error(`control API: unprovision ${device.config.ip}: ${response.status} ${await response.text()}`);
      reset += 1;
    }
  }));
  return reset;
}

export interface PreparedFleet {
  /** Milliseconds the reset boot took (a first boot includes RSA key generation). */
  bootMs: number;
  firstBoot: boolean;
}

/** Boots the fleet without Hellos, unprovisions every device in full, powers it off again. */
export async function resetFleetToFactory(options: Omit<FleetStart, 'helloTarget'>): Promise<PreparedFleet> {
  const layout = fleetLayout(options.spec);
  const firstBoot = !existsSync(path.join(layout.stateDir, `${layout.uuids[0]}.json`));
  const started = Date.now();
  const fleet = await startBenchFleet({ ...options, helloTarget: null });
  const bootMs = Date.now() - started;
  try {
    await unprovisionAll(fleet);
    const notFactory = fleet.devices.filter((d) => d.firmware.phase !== 'pre' || d.firmware.state.admin.setByServer);
    if (notFactory.length > 0) throw new Error(`${notFactory.length} device(s) are not in factory state after unprovisioning`);
  } finally {
    await fleet.stop();
  }
  return { bootMs, firstBoot };
}

/** Every device's emulator counters (requests, Digest and TLS refusals with reasons, timing delays), for the logs. */
export function writeFleetCounters(fleet: Fleet, file: string): void {
  writeFileSync(file, JSON.stringify(fleet.devices.map((d) => ({ ip: d.config.ip, uuid: d.firmware.uuid, ...d.firmware.counters.view() }))));
}

/** Root hashes a device of this fleet trusts, as its Hello lists them (lowercase hex). */
export function helloRootHashes(rootPem: string): string[] {
  return trustedHashesOfRoot(rootPem).map((h) => h.hash);
}
