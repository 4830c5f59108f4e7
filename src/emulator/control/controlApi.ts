// The emulator's control API: HTTP + JSON on a loopback port, for tests, demos and operators
// to read device state and inject faults. `{id}` is a device UUID, IP or index. Routes:
//   GET    /devices                          summaries of every device
//   GET    /devices/{id}[?secrets=reveal]    summary, firmware state (secrets redacted unless revealed), faults, counters
//   GET    /devices/{id}/counters            counters, TLS refusals with reasons, Digest failures
//   POST   /devices/{id}/power               {"state":"on"|"off"|"cycle"}
//   POST   /devices/{id}/faults              any of {"failOperation":{"operation","status","times"?},
//                                            "dropConnectionAfterRequests":n, "latencyMs":n,
//                                            "losePowerDuringCommit":{"point":"before-write"|"after-write","restoreAfterMs"?}|null}
//   DELETE /devices/{id}/faults              clears every fault
//   POST   /devices/{id}/timing              {"profile":"instant"|"real-firmware"}: how long the device takes (firmware/timing.ts)
//   POST   /devices/{id}/unprovision         {"mode":"full"|"partial"}
//   POST   /devices/{id}/otp                 {"otp":string|null}: the OTP the device presents (in-band mismatch tests)
//   POST   /devices/{id}/heci                {"present":bool}
//   POST   /devices/{id}/radio               {"present":bool}: Wi-Fi radio fitted or not (persisted)
//   POST   /devices/{id}/hello/restart       a new Hello period (as ExtendProvisioningPeriod)
//   POST   /devices/{id}/digest/expire-nonces  every outstanding nonce becomes stale
//   POST   /devices/{id}/check-admin         {"username","password"} -> {"matches":bool}, without revealing anything
import http from 'node:http';
import type net from 'node:net';
import { z } from 'zod';
import type { EmulatedDevice } from '../device';
import { TIMING_PROFILES, TIMING_PROFILE_NAMES } from '../firmware/timing';
import { firmwareView } from './firmwareView';

export interface ControlApiOptions {
  host: string;
  port: number;
  devices: readonly EmulatedDevice[];
  find: (id: string) => EmulatedDevice | undefined;
}

export interface ControlApi {
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 64 * 1024;

const schemas = {
  power: z.object({ state: z.enum(['on', 'off', 'cycle']) }),
  faults: z.object({
    failOperation: z.object({ operation: z.string().min(1), status: z.number().int().min(0), times: z.number().int().positive().optional() }).optional(),
    dropConnectionAfterRequests: z.number().int().min(0).optional(),
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    losePowerDuringCommit: z
      .object({ point: z.enum(['before-write', 'after-write']), restoreAfterMs: z.number().int().min(0).optional() })
      .nullable()
      .optional(),
  }),
  unprovision: z.object({ mode: z.enum(['full', 'partial']) }),
  timing: z.object({ profile: z.enum(TIMING_PROFILE_NAMES) }),
  otp: z.object({ otp: z.string().min(1).max(64).nullable() }),
  present: z.object({ present: z.boolean() }),
  checkAdmin: z.object({ username: z.string(), password: z.string() }),
};

async function readJson<T>(req: http.IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'body too large');
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new HttpError(400, result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return result.data;
}

async function route(req: http.IncomingMessage, options: ControlApiOptions): Promise<unknown> {
  const url = new URL(req.url ?? '/', 'http://control');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  if (parts[0] !== 'devices') throw new HttpError(404, 'unknown path');
  if (parts.length === 1 && method === 'GET') return options.devices.map((d) => d.summary());
  const device = options.find(parts[1] ?? '');
  if (!device) throw new HttpError(404, `no device ${parts[1] ?? ''}`);
  const fw = device.firmware;
  const action = `${method} ${parts.slice(2).join('/')}`;
  switch (action) {
    case 'GET ':
      return {
        ...device.summary(),
        firmware: firmwareView(fw, url.searchParams.get('secrets') === 'reveal'),
        faults: fw.faults.view(),
        timing: fw.timing,
        counters: fw.counters.view(),
      };
    case 'GET counters':
      return fw.counters.view();
    case 'POST power': {
      const { state } = await readJson(req, schemas.power);
      if (state === 'on') await device.powerOn();
      else if (state === 'off') await device.powerOff();
      else await device.powerCycle();
      return device.summary();
    }
    case 'POST faults': {
      const body = await readJson(req, schemas.faults);
      if (body.failOperation) fw.faults.failOperation(body.failOperation.operation, body.failOperation.status, body.failOperation.times);
      if (body.dropConnectionAfterRequests !== undefined) fw.faults.dropConnectionAfter(body.dropConnectionAfterRequests);
      if (body.latencyMs !== undefined) fw.faults.setLatency(body.latencyMs);
      if (body.losePowerDuringCommit !== undefined) {
        const loss = body.losePowerDuringCommit;
        fw.faults.losePowerDuringCommit(loss?.point ?? null, loss?.restoreAfterMs ?? null);
      }
      return fw.faults.view();
    }
    case 'DELETE faults':
      fw.faults.clear();
      return fw.faults.view();
    case 'POST timing':
      fw.timing = TIMING_PROFILES[(await readJson(req, schemas.timing)).profile];
      return fw.timing;
    case 'POST unprovision':
      await fw.unprovision((await readJson(req, schemas.unprovision)).mode);
      return device.summary();
    case 'POST otp': {
      // Writes the flash directly: the control API may present an OTP in any state.
      const { otp } = await readJson(req, schemas.otp);
      await fw.update((s) => {
        s.otp = otp;
      });
      return { ok: true };
    }
    case 'POST heci':
      await device.setHeciPresent((await readJson(req, schemas.present)).present);
      return device.summary();
    case 'POST radio': {
      // Hardware, not a setting: the control API writes the flash directly, in any state.
      const { present } = await readJson(req, schemas.present);
      await fw.update((s) => {
        s.hasRadio = present;
      });
      return device.summary();
    }
    case 'POST hello/restart':
      device.restartHellos();
      return device.summary();
    case 'POST digest/expire-nonces':
      device.digest.expireNonces();
      return { ok: true };
    case 'POST check-admin': {
      const { username, password } = await readJson(req, schemas.checkAdmin);
      return { matches: fw.isAdminPassword(username, password) };
    }
    default:
      throw new HttpError(404, `unknown action ${action}`);
  }
}

export async function startControlApi(options: ControlApiOptions): Promise<ControlApi> {
  const server = http.createServer((req, res) => {
    route(req, options).then(
      (body) => {
        const text = JSON.stringify(body);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      },
      (err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        const text = JSON.stringify({ error: err instanceof HttpError ? err.message : 'internal error' });
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as net.AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
