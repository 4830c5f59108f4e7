// `amtprov emulate`: runs a fleet of emulated AMT devices in this process until SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_FIRMWARE_VERSION, EOI_REMOVED_IN_MAJOR, WSMAN_SETUP_SINCE_MAJOR } from '../contract/firmwareFamilies';
import { HELLO_PORT } from '../contract/ports';
import { startFleet, trustedHashesOfRoot, type FleetOptions } from '../emulator/fleet';
import { timingProfile } from '../emulator/firmware/timing';
import type { TrustedRootHash } from '../emulator/firmware/types';
import { dataDir } from '../config/paths';

const DEFAULT_CONTROL_PORT = 16990;

export const EMULATE_USAGE = `usage: amtprov emulate --domain-suffix <suffix> --admin-password <pw> [options]

Runs N emulated Intel AMT devices in one process, each on its own loopback address with
ports 16992 (HTTP) and 16993 (TLS), until interrupted (Ctrl-C / SIGTERM). Device state
(the firmware's flash) is one JSON file per device under --state-dir: restarting with the
same --state-dir and --uuid-seed is a power cycle that keeps provisioning state.

Options:
  --count <n>                 devices to run (default 1)
  --base-ip <ip>              address of device 0; device i gets the i-th next address,
                              skipping .0 and .255 (default 127.0.1.1; must stay in 127.0.0.0/8)
  --state-dir <dir>           flash files and host interface sockets (default <data dir>/emulator;
                              keep it short: socket paths are limited to 107 bytes)
  --provision-server <h:p>    where devices send Hellos (default 127.0.0.1:${HELLO_PORT}); "none" = no Hellos
  --domain-suffix <suffix>    the devices' DNS suffix (MEBx / DHCP option 15), checked against
                              the provisioning certificate's CN or SAN names (required)
  --trust-root <file.pem>     repeatable; adds that root certificate's SHA-256 and SHA-1 hashes
                              to every device's trusted root hashes
  --admin-password <pw>       repeatable; the MEBx password, which is also the password of the
                              pre-provisioning Digest account "admin"; device i gets item i mod n
  --admin-password-file <f>   the same, one password per line (keeps them out of the process list)
  --firmware <family>         modern (default: ${DEFAULT_FIRMWARE_VERSION.modern}, phase 1 over WS-Man, no EOI SOAP)
                              or early (${DEFAULT_FIRMWARE_VERSION.early}, phase 1 over EOI SOAP only)
  --firmware-version <v>      reported firmware version, e.g. 7.1.20; what the device serves follows
                              it: EOI SOAP below ${EOI_REMOVED_IN_MAJOR}, phase 1 over WS-Man from ${WSMAN_SETUP_SINCE_MAJOR}
                              (both from ${WSMAN_SETUP_SINCE_MAJOR} to ${EOI_REMOVED_IN_MAJOR - 1}); excludes --firmware
  --provisioning-mode <m>     enterprise (default) or small-business (commit without TLS)
  --time-scale <x>            Hello schedule speed-up: 60 = a minute per second (default 1)
  --uuid-seed <s>             deterministic device UUIDs: UUIDv5 of "<seed>/<index>" (default amtprov)
  --control-host <ip>         control API address (default 127.0.0.1)
  --control-port <port>       control API port (default ${DEFAULT_CONTROL_PORT}; 0 = OS-assigned)
  --no-heci                   start with the HECI driver absent (no host interface sockets)
  --no-radio                  every device without a Wi-Fi radio (no CIM_WiFiPort, no wireless
                              port settings, wireless profiles refused)
  --no-radio-devices <list>   only these device indexes lack a radio, e.g. 0,3,10-19; the others
                              have one. Without either flag each device keeps what its state
                              file says (a new device has a radio; see POST .../radio)
  --nonce-lifetime <seconds>  Digest nonce lifetime before answers say stale=true (default 300)
  --timing <profile>          how long devices take to answer: instant (default) or real-firmware
                              (per-request latency, TLS handshake, key generation, commit and TLS
                              restart as real firmware takes them; docs/amt-protocol.md)
  --prepared-keys             each device makes its GenerateKeyPair key once, kept in the state dir
                              (keeps the emulator's CPU low at thousands of devices)
  -h, --help                  this text

Hello schedule (docs/amt-protocol.md section 2): from power-on in pre-provisioning, minutes 0-4,
then every 5 minutes to minute 60, then hourly for 23 Hellos (40 in all), then silence until
a power cycle, an unprovision or startNetworkInterface. Hellos stop at the first Digest-
authenticated TLS request (the device enters in-provisioning).

Control API (HTTP JSON on --control-host:--control-port; {id} = device UUID, IP or index):
  GET    /devices                          all devices: uuid, ip, powered, phase, host interface path, Hello state
  GET    /devices/{id}                     summary + firmware state + faults + counters; secrets are
                                           redacted (MEBx password as SHA-256, admin HA1 hidden, OTP as
                                           SHA-256) unless ?secrets=reveal (tests only); private keys and
                                           derived Kerberos keys never (firmware.kerberos.keys holds the
                                           SHA-256 of each key by enctype name)
  GET    /devices/{id}/counters            requests, Digest failures / stale nonces / nc replays, TLS
                                           accepted / refused with each refusal's rule and detail, Hellos
  POST   /devices/{id}/power               {"state":"on"|"off"|"cycle"}  (off: refuses connections, no Hellos)
  POST   /devices/{id}/faults              {"failOperation":{"operation":"CommitChanges","status":2057,"times":1}}
                                           {"dropConnectionAfterRequests":n}  serve n requests, drop the next
                                           {"latencyMs":n}  delay every response and Hello
                                           {"losePowerDuringCommit":{"point":"before-write"|"after-write",
                                                                     "restoreAfterMs":n}}  (omit restore: stays off)
  DELETE /devices/{id}/faults              clear all faults
  POST   /devices/{id}/timing              {"profile":"instant"|"real-firmware"}  this device's timing
  POST   /devices/{id}/unprovision         {"mode":"full"|"partial"}
  POST   /devices/{id}/otp                 {"otp":"..."|null}  the OTP the device presents (in-band tests)
  POST   /devices/{id}/heci                {"present":true|false}
  POST   /devices/{id}/radio               {"present":true|false}  Wi-Fi radio fitted (kept in the state file)
  POST   /devices/{id}/hello/restart       start a new Hello period
  POST   /devices/{id}/digest/expire-nonces  next authenticated request gets stale=true
  POST   /devices/{id}/check-admin         {"username","password"} -> {"matches":bool}

Host interface (in-band agent): Unix socket <state-dir>/<uuid>.sock (0600), present while the
device is on and HECI is present; one JSON object per line each way:
  {"id":1,"command":"getFirmwareInfo"}            -> {"id":1,"ok":true,"uuid",...,"provisioningState":0}
  {"id":2,"command":"getUuid"} | {"command":"getTrustedRootHashes"}
  {"id":3,"command":"setProvisioningServerOtp","otp":"8-32 chars"}
  {"id":4,"command":"startNetworkInterface"}
  refusals: {"id":..,"ok":false,"status":3,"statusName":"PT_STATUS_INVALID_PT_MODE","error":"..."}`;

export interface EmulateIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Stops the fleet when aborted (tests); otherwise SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

const defaultIo: EmulateIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

function parseHostPort(value: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port > 0 && port < 65536)) throw new Error(`--provision-server wants host:port, got "${value}"`);
  return { host: match[1], port };
}

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a positive number, got "${value}"`);
  return n;
}

/** "0,3,10-19" -> [0, 3, 10, ..., 19]. */
function parseIndexList(value: string): number[] {
  return value.split(',').flatMap((part) => {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const first = Number(match?.[1]);
    const last = match?.[2] === undefined ? first : Number(match[2]);
    if (!match || last < first || last > 65_535) throw new Error(`--no-radio-devices wants indexes (0-65535) like 0,3,10-19, got "${value}"`);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  });
}

/** --firmware early|modern (the contract's default of that family) or --firmware-version x.y.z. */
function firmwareVersionOption(family: string | undefined, version: string | undefined): string {
  if (family !== undefined && version !== undefined) throw new Error('--firmware and --firmware-version exclude each other');
  if (family !== undefined) {
    if (family !== 'early' && family !== 'modern') throw new Error(`--firmware is early or modern, got "${family}"`);
    return DEFAULT_FIRMWARE_VERSION[family];
  }
  if (version !== undefined && !/^\d{1,3}(\.\d{1,5}){1,3}$/.test(version)) throw new Error(`--firmware-version wants a version like 16.1.27, got "${version}"`);
  return version ?? DEFAULT_FIRMWARE_VERSION.modern;
}

function parseOptions(argv: string[]): FleetOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      count: { type: 'string' },
      'base-ip': { type: 'string' },
      'state-dir': { type: 'string' },
      'provision-server': { type: 'string' },
      'domain-suffix': { type: 'string' },
      'trust-root': { type: 'string', multiple: true },
      'admin-password': { type: 'string', multiple: true },
      'admin-password-file': { type: 'string' },
      firmware: { type: 'string' },
      'firmware-version': { type: 'string' },
      'provisioning-mode': { type: 'string' },
      'time-scale': { type: 'string' },
      'uuid-seed': { type: 'string' },
      'control-host': { type: 'string' },
      'control-port': { type: 'string' },
      'no-heci': { type: 'boolean' },
      'no-radio': { type: 'boolean' },
      'no-radio-devices': { type: 'string' },
      'nonce-lifetime': { type: 'string' },
      timing: { type: 'string' },
      'prepared-keys': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const domainSuffix = values['domain-suffix'];
  if (!domainSuffix) throw new Error('--domain-suffix is required');
  const passwords = [
    ...(values['admin-password'] ?? []),
    ...(values['admin-password-file'] ? readFileSync(values['admin-password-file'], 'utf8').split(/\r?\n/).filter((l) => l !== '') : []),
  ];
  if (passwords.length === 0) throw new Error('at least one --admin-password or --admin-password-file is required');
  const trustedRootHashes: TrustedRootHash[] = (values['trust-root'] ?? []).flatMap((file) => trustedHashesOfRoot(readFileSync(file, 'utf8')));
  const mode = values['provisioning-mode'] ?? 'enterprise';
  if (mode !== 'enterprise' && mode !== 'small-business') throw new Error(`--provisioning-mode is enterprise or small-business, got "${mode}"`);
  const controlPort = values['control-port'] === undefined ? DEFAULT_CONTROL_PORT : Number(values['control-port']);
  if (!Number.isInteger(controlPort) || controlPort < 0 || controlPort > 65535) throw new Error(`--control-port must be a port number`);
  const count = positiveNumber('count', values.count, 1);
  if (!Number.isInteger(count)) throw new Error('--count must be an integer');
  const server = values['provision-server'] ?? `127.0.0.1:${HELLO_PORT}`;
  if (values['no-radio'] && values['no-radio-devices'] !== undefined) throw new Error('--no-radio and --no-radio-devices exclude each other');
  const withoutRadio = values['no-radio'] ? 'all' : values['no-radio-devices'] === undefined ? undefined : parseIndexList(values['no-radio-devices']);
  return {
    count,
    baseIp: values['base-ip'] ?? '127.0.1.1',
    stateDir: path.resolve(values['state-dir'] ?? path.join(dataDir(), 'emulator')),
    provisionServer: server === 'none' ? null : parseHostPort(server),
    domainSuffix,
    trustedRootHashes,
    adminPasswords: passwords,
    firmwareVersion: firmwareVersionOption(values.firmware, values['firmware-version']),
    provisioningMode: mode,
    timeScale: positiveNumber('time-scale', values['time-scale'], 1),
    uuidSeed: values['uuid-seed'] ?? 'amtprov',
    heci: !values['no-heci'],
    ...(withoutRadio ? { withoutRadio } : {}),
    control: { host: values['control-host'] ?? '127.0.0.1', port: controlPort },
    nonceLifetimeMs: positiveNumber('nonce-lifetime', values['nonce-lifetime'], 300) * 1000,
    timing: timingProfile(values.timing ?? 'instant').name,
    preparedKeys: values['prepared-keys'] ?? false,
  };
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    if (signal) {
      if (signal.aborted) return stop();
      signal.addEventListener('abort', stop, { once: true });
    } else {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
  });
}

export async function runEmulateCommand(argv: string[], io: EmulateIo = defaultIo): Promise<number> {
  let options: FleetOptions | 'help';
  try {
    options = parseOptions(argv);
  } catch (err) {
    io.err(`amtprov emulate: ${err instanceof Error ? err.message : String(err)}`);
    io.err('run "amtprov emulate --help" for the options');
    return 2;
  }
  if (options === 'help') {
    io.out(EMULATE_USAGE);
    return 0;
  }
  const fleet = await startFleet(options);
  const first = fleet.devices[0].config.ip;
  const last = fleet.devices[fleet.devices.length - 1].config.ip;
  io.out(`emulating ${fleet.devices.length} AMT device(s) on ${first}${last === first ? '' : ` - ${last}`} (ports 16992/16993), state in ${options.stateDir}`);
  io.out(`control API: ${fleet.controlUrl ?? 'off'}`);
  io.out(options.provisionServer ? `Hellos to ${options.provisionServer.host}:${options.provisionServer.port} at time scale ${options.timeScale ?? 1}` : 'Hellos: off');
  for (const device of fleet.devices.slice(0, 10)) {
    const s = device.summary();
    io.out(`  ${s.index}: ${s.uuid} ${s.ip} ${s.phase}-provisioning`);
  }
  if (fleet.devices.length > 10) io.out(`  ... ${fleet.devices.length - 10} more (GET ${fleet.controlUrl ?? ''}/devices)`);
  await waitForStop(io.signal);
  await fleet.stop();
  io.out('emulated fleet stopped');
  return 0;
}
