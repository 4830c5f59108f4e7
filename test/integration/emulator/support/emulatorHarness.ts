// Starts a small emulated fleet for one test file (temp state dir, its own loopback range held
// against concurrent runs of the suite, control API) and cleans everything up, even when the
// test failed.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet, type FleetOptions } from '../../../../src/emulator/fleet';
import type { ServiceRouter } from '../../../../src/emulator/http/serviceRouter';
import { holdAddressBlock } from './addressBlock';

export const MEBX_PASSWORD = 'Mebx!Pass1';

/** A route that answers who authenticated and the device's phase: enough to test the transport. */
export function registerEcho(router: ServiceRouter): void {
  router.route('/echo', (req, res, ctx) => {
    const text = JSON.stringify({ username: ctx.username, phase: ctx.firmware.phase, transport: ctx.transport, bodyBytes: req.body.length });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(text);
  });
}

export interface Harness {
  fleet: Fleet;
  stateDir: string;
  control: ControlClient;
  /** Stops the fleet (a "power off" of the process) and starts it again from the same state dir. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface ControlClient {
  get<T = Record<string, unknown>>(urlPath: string): Promise<T>;
  post<T = Record<string, unknown>>(urlPath: string, body?: unknown): Promise<T>;
  del<T = Record<string, unknown>>(urlPath: string): Promise<T>;
}

function controlClient(fleet: () => Fleet): ControlClient {
  const call = async <T>(method: string, urlPath: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${fleet().controlUrl}${urlPath}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`control ${method} ${urlPath}: ${res.status} ${json.error ?? ''}`);
    return json;
  };
  return {
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b ?? {}),
    del: (p) => call('DELETE', p),
  };
}

export type HarnessOptions = Omit<FleetOptions, 'stateDir' | 'adminPasswords' | 'control'> & Partial<Pick<FleetOptions, 'adminPasswords'>> & { controlHost: string };

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'emu-'));
  const { controlHost, ...rest } = options;
  const fleetOptions: FleetOptions = {
    adminPasswords: [MEBX_PASSWORD],
    registerServices: registerEcho,
    ...rest,
    stateDir,
    control: { host: controlHost, port: 0 },
  };
  const release = await holdAddressBlock(options.baseIp);
  let fleet: Fleet;
  try {
    fleet = await startFleet(fleetOptions);
  } catch (err) {
    await release();
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  return {
    get fleet() {
      return fleet;
    },
    stateDir,
    control: controlClient(() => fleet),
    async restart() {
      await fleet.stop();
      fleet = await startFleet(fleetOptions);
    },
    async close() {
      try {
        await fleet.stop();
      } finally {
        await release();
        await rm(stateDir, { recursive: true, force: true });
      }
    },
  };
}
