// A fleet of emulated AMT devices in one process: each on its own loopback IP with its own
// flash file under the state directory, one shared HTTP layer and service router, and an
// optional control API. Used by `amtprov emulate`, the demo stack, tests and benchmarks.
import crypto from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { DEFAULT_FIRMWARE_VERSION } from '../contract/firmwareFamilies';
import { AMT_HTTP_PORT, AMT_HTTPS_PORT } from '../contract/ports';
import { startControlApi, type ControlApi } from './control/controlApi';
import { EmulatedDevice } from './device';
import { deviceAddresses, deviceUuid } from './fleetAddressing';
import { timingProfile, type TimingProfileName } from './firmware/timing';
import type { FirmwareState, TrustedRootHash } from './firmware/types';
import type { HelloTarget } from './hello/helloSender';
import { DEFAULT_HTTP_LIMITS, DeviceHttpFrontend, type HttpLimits } from './http/deviceHttp';
import { ServiceRouter, type RegisterServices } from './http/serviceRouter';
import { registerServices as defaultServices } from './services';

export interface FleetOptions {
  count: number;
  /** First device address; the rest follow (see fleetAddressing.ts). */
  baseIp: string;
  stateDir: string;
  /** Hello destination; null or absent = devices send no Hellos. */
  provisionServer?: HelloTarget | null;
  /** MEBx PKI DNS suffix / DHCP option 15 of every device. */
  domainSuffix: string;
  trustedRootHashes: TrustedRootHash[];
  /** MEBx passwords (also the pre-provisioning `admin` password): device i gets item i mod n. */
  adminPasswords: string[];
  /** Reported firmware version; default DEFAULT_FIRMWARE_VERSION.modern (phase 1 over WS-Man, no EOI). */
  firmwareVersion?: string;
  provisioningMode?: FirmwareState['provisioningMode'];
  /** Hello schedule speed-up (3600 = an hour of device time per second). */
  timeScale?: number;
  uuidSeed?: string;
  /** HECI driver present at start (host interface socket per device). */
  heci?: boolean;
  /**
   * Devices without a Wi-Fi radio: all, or these indexes (the others then have one). Absent:
   * each device keeps what its flash says (a new device has a radio; the control API may change it).
   */
  withoutRadio?: 'all' | readonly number[];
  /** Control API address; port 0 = OS-assigned; absent = no control API. */
  control?: { host: string; port: number };
  /** Handlers behind Digest; absent = the SOAP / WS-Man services (src/emulator/services), null = none (404s). */
  registerServices?: RegisterServices | null;
  nonceLifetimeMs?: number;
  httpLimits?: Partial<HttpLimits>;
  /** Device ports; the contract fixes 16992/16993 (section 1). */
  ports?: { http: number; https: number };
  /** Devices booted at once (first boot generates an RSA key per device). */
  bootConcurrency?: number;
  /** How long every device takes to answer (firmware/timing.ts); default 'instant'. Per device: control API `timing`. */
  timing?: TimingProfileName;
  /**
   * Each device makes its GenerateKeyPair key ahead, once per state directory (firmware/preparedKeys.ts):
   * keeps the emulator's CPU off the measured window at thousands of devices. First boot then makes two keys per device.
   */
  preparedKeys?: boolean;
  /** Power each device on as it boots (default); false = every device booted and off, for a caller that powers them on together. */
  powerOn?: boolean;
}

export interface Fleet {
  readonly devices: readonly EmulatedDevice[];
  /** `http://host:port` of the control API, or null. */
  readonly controlUrl: string | null;
  /** A device by UUID, IP or index. */
  find(id: string): EmulatedDevice | undefined;
  stop(): Promise<void>;
}

/**
 * The SHA-256, SHA-384 and SHA-1 trusted-hash entries of a root certificate (what `--trust-root`
 * adds); each release uses those of its algorithms (releaseRules.ts rootHashAlgorithms).
 */
export function trustedHashesOfRoot(rootPem: string): TrustedRootHash[] {
  const root = new crypto.X509Certificate(rootPem);
  const name = root.subject.split('\n').find((part) => part.startsWith('CN='))?.slice(3) ?? root.subject;
  return (['sha256', 'sha384', 'sha1'] as const).map((algorithm) => ({
    algorithm,
    hash: crypto.createHash(algorithm).update(root.raw).digest('hex'),
    active: true,
    name,
  }));
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index]);
    }
  });
  await Promise.all(workers);
  return results;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(options.count) || options.count < 1) throw new Error(`count must be a positive integer, got ${options.count}`);
  if (options.adminPasswords.length === 0) throw new Error('at least one admin (MEBx) password is required');
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const router = new ServiceRouter();
  const registerServices = options.registerServices === undefined ? defaultServices : options.registerServices;
  await registerServices?.(router);
  const frontend = new DeviceHttpFrontend(router, { ...DEFAULT_HTTP_LIMITS, ...options.httpLimits });
  const addresses = deviceAddresses(options.baseIp, options.count);
  const seed = options.uuidSeed ?? 'amtprov';
  const timing = timingProfile(options.timing ?? 'instant');
  const withoutRadio = options.withoutRadio;
  const indexes = addresses.map((_, i) => i);
  const devices: EmulatedDevice[] = [];
  let control: ControlApi | null = null;
  const stop = async (): Promise<void> => {
    await control?.close();
    await Promise.all(devices.map((d) => d.powerOff()));
    frontend.close();
  };
  try {
    await mapLimited(indexes, options.bootConcurrency ?? 16, async (index) => {
      const device = await EmulatedDevice.boot(
        {
          index,
          ip: addresses[index],
          spec: {
            uuid: deviceUuid(seed, index),
            firmwareVersion: options.firmwareVersion ?? DEFAULT_FIRMWARE_VERSION.modern,
            mebxPassword: options.adminPasswords[index % options.adminPasswords.length],
            dnsSuffix: options.domainSuffix,
            trustedRootHashes: options.trustedRootHashes,
            ...(options.provisioningMode ? { provisioningMode: options.provisioningMode } : {}),
            ...(withoutRadio ? { hasRadio: !(withoutRadio === 'all' || withoutRadio.includes(index)) } : {}),
          },
          stateDir: options.stateDir,
          helloTarget: options.provisionServer ?? null,
          timeScale: options.timeScale ?? 1,
          heciPresent: options.heci ?? true,
          nonceLifetimeMs: options.nonceLifetimeMs ?? 5 * 60_000,
          ports: options.ports ?? { http: AMT_HTTP_PORT, https: AMT_HTTPS_PORT },
          timing,
          preparedKeys: options.preparedKeys ?? false,
        },
        frontend,
      );
      devices[index] = device;
      if (options.powerOn ?? true) await device.powerOn();
    });
    const find = (id: string): EmulatedDevice | undefined =>
      devices.find((d) => d.firmware.uuid === id.toLowerCase() || d.config.ip === id || String(d.config.index) === id);
    control = options.control ? await startControlApi({ ...options.control, devices, find }) : null;
    return { devices, controlUrl: control?.url ?? null, find, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
