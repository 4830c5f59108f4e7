// The agent's side of the host interface (HECI/MEI, docs/amt-protocol.md section 7). On a real
// host that is the MEI driver's device node; with the emulator it is the device's Unix socket
// speaking one JSON object per line each way (`amtprov emulate --help`). No socket means no
// HECI driver, as an absent device node does on a real host. Requests may carry the OTP, so
// nothing here logs a request or quotes one in an error.
import net from 'node:net';
import { z } from 'zod';

export interface FirmwareInfo {
  uuid: string;
  firmwareVersion: string;
  /** 0 pre-, 1 in-, 2 post-provisioning. */
  provisioningState: number;
  provisioningStateName: string;
}

export interface FirmwareRootHash {
  algorithm: 'sha1' | 'sha256' | 'sha384';
  hash: string;
  name: string;
  active: boolean;
}

/** The driver (socket) is absent or unusable. */
export class HeciUnavailable extends Error {
  override name = 'HeciUnavailable';
}

/** The firmware answered a command with a PT_STATUS other than success. */
export class FirmwareRefused extends Error {
  override name = 'FirmwareRefused';
  constructor(
    readonly command: string,
    readonly status: number,
    readonly statusName: string,
    message: string,
  ) {
    super(message);
  }
}

const answerSchema = z.object({ id: z.unknown(), ok: z.boolean(), status: z.number().optional(), statusName: z.string().optional(), error: z.string().optional() }).loose();
const firmwareInfoSchema = z.object({ uuid: z.string(), firmwareVersion: z.string(), provisioningState: z.number().int(), provisioningStateName: z.string() });
const rootHashesSchema = z.object({
  hashes: z.array(z.object({ algorithm: z.enum(['sha1', 'sha256', 'sha384']), hash: z.string().regex(/^[0-9a-fA-F]+$/), name: z.string(), active: z.boolean() })),
});

const MAX_ANSWER_BYTES = 64 * 1024;
const UNAVAILABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'EACCES', 'EPERM']);

interface Pending {
  command: string;
  resolve: (answer: Record<string, unknown>) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class HostInterfaceClient {
  private nextId = 1;
  private buffered = '';
  private readonly pending = new Map<number, Pending>();

  private constructor(
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (err) => this.failAll(new HeciUnavailable(`the host interface connection failed: ${err.message}`)));
    socket.on('close', () => this.failAll(new HeciUnavailable('the host interface closed the connection')));
  }

  static connect(socketPath: string, timeoutMs = 10_000): Promise<HostInterfaceClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ path: socketPath });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HeciUnavailable(`the host interface at ${socketPath} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new HostInterfaceClient(socket, timeoutMs));
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const reason = err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied (run the agent as an administrator)' : `no driver there (${err.code ?? err.message})`;
        reject(UNAVAILABLE_CODES.has(err.code ?? '')
          ? new HeciUnavailable(`cannot open the host interface at ${socketPath}: ${reason}`, { cause: err })
          : err);
      });
    });
  }

  async getFirmwareInfo(): Promise<FirmwareInfo> {
    return parseAnswer(firmwareInfoSchema, await this.call('getFirmwareInfo', {}), 'getFirmwareInfo');
  }

  async getTrustedRootHashes(): Promise<FirmwareRootHash[]> {
    const { hashes } = parseAnswer(rootHashesSchema, await this.call('getTrustedRootHashes', {}), 'getTrustedRootHashes');
    return hashes.map((h) => ({ ...h, hash: h.hash.toLowerCase() }));
  }

  /** PTHI CFG_SetProvisioningServerOTP (0x0400002A); refused post-provisioning. */
  async setProvisioningServerOtp(otp: string): Promise<void> {
    await this.call('setProvisioningServerOtp', { otp });
  }

  /** Opens the firmware's network interface for setup (the device starts announcing itself). */
  async startNetworkInterface(): Promise<void> {
    await this.call('startNetworkInterface', {});
  }

  close(): void {
    this.socket.destroy();
  }

  private call(command: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HeciUnavailable(`the firmware did not answer ${command} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { command, resolve, reject, timer });
      this.socket.write(`${JSON.stringify({ id, command, ...args })}\n`);
    });
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    if (this.buffered.length > MAX_ANSWER_BYTES) {
      this.failAll(new HeciUnavailable('the host interface sent an oversized answer'));
      this.socket.destroy();
      return;
    }
    for (let newline = this.buffered.indexOf('\n'); newline >= 0; newline = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      this.settle(line);
    }
  }

  private settle(line: string): void {
    let answer: z.output<typeof answerSchema>;
    try {
      answer = answerSchema.parse(JSON.parse(line));
    } catch {
      this.failAll(new HeciUnavailable('the host interface sent an answer that is not a JSON object'));
      return;
    }
    const pending = typeof answer.id === 'number' ? this.pending.get(answer.id) : undefined;
    if (!pending) return;
    this.pending.delete(answer.id as number);
    clearTimeout(pending.timer);
    if (answer.ok) pending.resolve(answer);
    else {
      const status = answer.status ?? -1;
      const statusName = answer.statusName ?? `PT_STATUS_${status}`;
      pending.reject(new FirmwareRefused(pending.command, status, statusName, `the firmware refused ${pending.command}: ${statusName}${answer.error ? ` (${answer.error})` : ''}`));
    }
  }

  private failAll(err: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(err);
    }
  }
}

function parseAnswer<S extends z.ZodType>(schema: S, answer: Record<string, unknown>, command: string): z.output<S> {
  const result = schema.safeParse(answer);
  if (!result.success) throw new HeciUnavailable(`the firmware's answer to ${command} is malformed`);
  return result.data;
}
