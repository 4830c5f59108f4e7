// The host interface (HECI/MEI, docs/amt-protocol.md section 7) as the in-band agent sees it: a
// Unix socket per device, `<stateDir>/<uuid>.sock`, mode 0600 in a 0700 directory. It exists
// only while the device is on and its HECI driver is "present": an absent driver is an
// absent device node, as on a real host.
//
// Protocol (the emulator's, documented in `amtprov emulate --help`): one JSON object per
// line each way. Request `{"id": <any>, "command": "<name>", ...arguments}`; answer
// `{"id", "ok": true, ...result}` or `{"id", "ok": false, "status": <PT_STATUS>,
// "statusName": "PT_STATUS_<NAME>", "error": "<text>"}`. Commands:
//   getFirmwareInfo          -> uuid, firmwareVersion, provisioningState (0/1/2), provisioningStateName
//   getUuid                  -> uuid
//   getTrustedRootHashes     -> hashes: [{algorithm, hash (hex), name, active}]
//   setProvisioningServerOtp {otp} -> ok; INVALID_PT_MODE post-provisioning, INVALID_PARAMETER unless 8-32 printable ASCII
//   startNetworkInterface    -> ok; starts a new Hello period; INVALID_PT_MODE post-provisioning
import { promises as fs } from 'node:fs';
import net from 'node:net';
import { PT_STATUS, PT_STATUS_NAMES } from '../../contract/ptStatus';
import { FirmwareError } from '../firmware/errors';
import type { Firmware } from '../firmware/firmware';

const MAX_LINE_BYTES = 64 * 1024;
/** sockaddr_un.sun_path holds 108 bytes including the terminator. */
const MAX_SOCKET_PATH = 107;

export interface HostInterfaceOptions {
  socketPath: string;
  firmware: Firmware;
  /** startNetworkInterface: what the device does to open setup (restart its Hello period). */
  startNetworkInterface: () => void;
}

type Answer = Record<string, unknown>;

export class HostInterface {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: HostInterfaceOptions) {
    if (Buffer.byteLength(options.socketPath) > MAX_SOCKET_PATH) {
      throw new Error(`host interface socket path is over ${MAX_SOCKET_PATH} bytes: ${options.socketPath} (use a shorter --state-dir)`);
    }
  }

  get listening(): boolean {
    return this.server !== null;
  }

  async open(): Promise<void> {
    if (this.server) return;
    await fs.rm(this.options.socketPath, { force: true });
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await fs.chmod(this.options.socketPath, 0o600);
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fs.rm(this.options.socketPath, { force: true });
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (Buffer.byteLength(buffered) > MAX_LINE_BYTES) {
        socket.destroy();
        return;
      }
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') void this.answer(line).then((answer) => socket.write(`${JSON.stringify(answer)}\n`));
      }
    });
  }

  private async answer(line: string): Promise<Answer> {
    let request: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      request = parsed as Record<string, unknown>;
    } catch {
      return refusal(null, PT_STATUS.INVALID_PARAMETER, 'request is not a JSON object');
    }
    const id = request.id ?? null;
    try {
      return { id, ok: true, ...(await this.run(request)) };
    } catch (err) {
      if (err instanceof FirmwareError) return refusal(id, err.status, err.message);
      return refusal(id, PT_STATUS.INTERNAL_ERROR, 'internal error');
    }
  }

  private async run(request: Record<string, unknown>): Promise<Answer> {
    const fw = this.options.firmware;
    switch (request.command) {
      case 'getFirmwareInfo':
        return {
          uuid: fw.uuid,
          firmwareVersion: fw.state.firmwareVersion,
          provisioningState: fw.provisioningStateCode,
          provisioningStateName: `${fw.phase}-provisioning`,
        };
      case 'getUuid':
        return { uuid: fw.uuid };
      case 'getTrustedRootHashes':
        return { hashes: fw.state.trustedRootHashes.map((h) => ({ algorithm: h.algorithm, hash: h.hash, name: h.name, active: h.active })) };
      case 'setProvisioningServerOtp': {
        const otp = request.otp;
        // PTHI CFG_SetProvisioningServerOTP takes 8-32 characters (emulator's bound; section 7 is silent).
        if (typeof otp !== 'string' || !/^[\x21-\x7e]{8,32}$/.test(otp)) {
          throw new FirmwareError(PT_STATUS.INVALID_PARAMETER, 'otp must be 8-32 printable ASCII characters');
        }
        await fw.setOtp(otp);
        return {};
      }
      case 'startNetworkInterface':
        if (fw.phase === 'post') throw new FirmwareError(PT_STATUS.INVALID_PT_MODE, 'device is already provisioned');
        this.options.startNetworkInterface();
        return {};
      default:
        throw new FirmwareError(PT_STATUS.INVALID_PARAMETER, `unknown command ${JSON.stringify(request.command)}`);
    }
  }
}

function refusal(id: unknown, status: number, error: string): Answer {
  return { id, ok: false, status, statusName: PT_STATUS_NAMES.get(status) ?? `PT_STATUS_${status}`, error };
}
