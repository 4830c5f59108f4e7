// The hello listener (seed steps 1-3): accepts a device's TCP connection, reads one Hello
// (bounded in size and time), and either drops it with a counted, logged reason or hands it
// to the provisioning run of that device. Bad input never takes the listener down, and slow
// or hostile peers cannot hold it: every socket has a total deadline, not only an idle timer,
// and connection caps evict the idlest socket rather than refuse a newcomer (connectionBudget.ts).
// Valid Hellos go through a bounded intake (startQueue.ts) so a storm never becomes thousands
// of concurrent Temporal calls, and a device's repeats coalesce into one call.
import net from 'node:net';
import { HelloRejected, type HelloRejectionReason } from '../amt/errors';
import { parseHello } from '../amt/helloCodec';
import { HELLO_MAX_BYTES } from '../contract/hello';
import type { Logger } from '../log';
import { RateBoundedLog, type LogRate } from '../logRate';
import { productMetrics } from '../metrics/productMetrics';
import { ConnectionBudget, type ConnectionLimits, type EvictionReason, type TrackedConnection } from '../net/connectionBudget';
import { decideHello, type DropReason, type HelloLookups } from './helloPolicy';
import { AddressRateLimiter, type RateLimit } from './rateLimiter';
import { forwardFailure } from './forwardFailure';
import { StartQueue, type StartQueueStats } from './startQueue';

export interface ProvisionRequest {
  uuid: string;
  /** The computer's FQDN in the site store. */
  hostname: string;
  trustedRootHashes: string[];
  retryCount: number;
  peerAddress: string;
}

export interface HelloListenerOptions {
  host: string;
  port: number;
  lookups: HelloLookups;
  /** Starts the device's run or signals the running one (signalWithStart). */
  provision: (request: ProvisionRequest) => Promise<void>;
  log: Logger;
  /** Idle time allowed between bytes. */
  readTimeoutMs?: number;
  /** Total time a connection may stay open from accept, however it trickles. */
  connectionDeadlineMs?: number;
  rateLimit?: RateLimit;
  connectionLimits?: ConnectionLimits;
  /** How many drop lines per reason are logged per window (the counters keep every drop). */
  dropLogRate?: LogRate;
  /** The intake between valid Hellos and Temporal (DEFAULT_INTAKE). */
  intake?: Partial<IntakeLimits>;
}

export interface IntakeLimits {
  /** signalWithStart calls under way at once. */
  concurrency: number;
  /** Devices waiting for a call; a Hello for another device beyond this is shed (queue-full). */
  capacity: number;
}

/**
 * 16 calls at once: in the storm benchmark (bench/provision-fleet/README.md, "Hello storm") the
 * dev server started runs no faster with 32 or 128 calls under way than with 8, and its shard
 * semaphore waits grew with every call added (404 s at 8, 4,422 s at 32, 16,940 s at 128, for
 * 2,000 devices); 16 still gives 16 / latency calls per second to a sharded or distant server
 * (at 50 ms a call, 320 per second). 20,000 waiting devices (about 1 KB each) is a storm of a
 * large site; waiting beats shedding, since a shed device waits for its next Hello (a minute,
 * later five).
 */
export const DEFAULT_INTAKE: IntakeLimits = { concurrency: 16, capacity: 20_000 };

/** A Hello is under 1 KB in one write; ten seconds from accept is generous, and bounds a trickle. */
export const DEFAULT_CONNECTION_DEADLINE_MS = 10_000;
/**
 * The accept queue: Node's default of 511 overflows in a Hello storm (the storm benchmark saw
 * 1,609 dropped SYNs in a burst of 1,300 connections), and each dropped SYN costs its device a
 * 1 s, then 3 s retransmit. The kernel caps it at net.core.somaxconn (4096 on current kernels).
 */
export const LISTEN_BACKLOG = 4096;
/** A device sends one Hello at a time; 32 leaves room for retransmissions, while one address can never hold the listener. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { perAddress: 32, total: 2_000 };

/**
 * Why a connection on the Hello port did not reach a run: the policy's reasons, the parser's
 * (malformed:...), transport limits (idle, total deadline, connection caps), a browser's HTTP
 * request, or a failure of our own lookups. A fixed set, so it is a metric label
 * (amtprov_hellos_dropped_total).
 */
export type HelloDropReason =
  | DropReason | `malformed:${HelloRejectionReason}` | EvictionReason
  | 'rate-limited' | 'read-timeout' | 'read-deadline' | 'server-full' | 'connection-error' | 'too-large' | 'http-request' | 'internal-error'
  | 'coalesced' | 'queue-full';

export interface ListenerStats {
  connections: number;
  forwarded: number;
  /** Drops by reason: policy reasons, Hello parse reasons, and transport reasons. */
  dropped: Record<string, number>;
  /** Calls Temporal did not take, by reason (ForwardFailure); the device's next Hello retries. */
  forwardFailed: Record<string, number>;
  intake: StartQueueStats;
}

export interface HelloListener {
  host: string;
  port: number;
  stats(): ListenerStats;
  /** Stops accepting; resolves once open connections are done (each is bounded by its deadline) and every accepted Hello was handed on (or coalesced or shed, and counted). */
  close(): Promise<void>;
}

const HTTP_PAGE = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 46\r\n\r\namt-provisioner: AMT Hello listener (TCP/9971)';

export async function startHelloListener(options: HelloListenerOptions): Promise<HelloListener> {
  const { log } = options;
  const limiter = new AddressRateLimiter(options.rateLimit ?? { perSecond: 2, burst: 30 });
  const stats: Omit<ListenerStats, 'intake'> = { connections: 0, forwarded: 0, dropped: {}, forwardFailed: {} };
  const dropLog = new RateBoundedLog(log, options.dropLogRate);
  const drop = (reason: HelloDropReason, fields: Record<string, string | number | undefined>, level: 'info' | 'error' = 'info'): void => {
    stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
    productMetrics.helloDropped(reason);
    dropLog.write(reason, level, 'hello dropped', { reason, ...fields });
  };
  const limits = options.connectionLimits ?? DEFAULT_CONNECTION_LIMITS;
  const budget = new ConnectionBudget(limits);
  const idleMs = options.readTimeoutMs ?? 5_000;
  const deadlineMs = options.connectionDeadlineMs ?? DEFAULT_CONNECTION_DEADLINE_MS;

  const intake = new StartQueue<ProvisionRequest>({
    ...DEFAULT_INTAKE, ...options.intake,
    send: options.provision,
    settled: (request, err) => {
      const fields = { peer: request.peerAddress, uuid: request.uuid, retryCount: request.retryCount };
      if (err === undefined) {
        stats.forwarded += 1;
        productMetrics.helloForwarded('ok');
        log.info('hello forwarded to provisioning run', fields);
        return;
      }
      const reason = forwardFailure(err);
      stats.forwardFailed[reason] = (stats.forwardFailed[reason] ?? 0) + 1;
      productMetrics.helloForwarded(reason);
      dropLog.write(`forward:${reason}`, 'error', 'could not start or signal the provisioning run; the device\'s next Hello retries', {
        ...fields, reason, error: err instanceof Error ? err.message : `a ${typeof err} rejection`,
      });
    },
  });

  /** Hellos being read and decided: a graceful close waits for them, then for the intake. */
  const inFlight = new Set<Promise<void>>();

  const handle = async (data: Buffer, peer: string): Promise<void> => {
    let hello;
    try {
      hello = parseHello(data);
    } catch (err) {
      if (!(err instanceof HelloRejected)) throw err;
      drop(`malformed:${err.reason}`, { peer, detail: err.message });
      return;
    }
    const decision = await decideHello(hello, options.lookups);
    if (decision.action === 'drop') {
      drop(decision.reason, { peer, uuid: hello.uuid, retryCount: hello.retryCount });
      return;
    }
    const outcome = intake.offer({ uuid: decision.uuid, hostname: decision.hostname, trustedRootHashes: decision.trustedRootHashes, retryCount: hello.retryCount, peerAddress: peer });
    if (outcome !== 'queued') drop(outcome, { peer, uuid: hello.uuid, retryCount: hello.retryCount });
  };

  const server = net.createServer((socket) => {
    stats.connections += 1;
    productMetrics.helloReceived();
    const peer = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    if (!limiter.allow(peer)) {
      socket.destroy();
      drop('rate-limited', { peer });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const tracked: TrackedConnection = { peer, lastActivity: Date.now(), evict: (reason) => finish(reason) };
    const deadline = setTimeout(() => finish('read-deadline'), deadlineMs);
    const settle = (): void => {
      done = true;
      clearTimeout(deadline);
      budget.release(tracked);
    };
    const finish = (reason?: HelloDropReason): void => {
      if (done) return;
      settle();
      socket.destroy();
      if (reason) drop(reason, { peer, bytes: size });
    };
    budget.admit(tracked);
    socket.setTimeout(idleMs, () => finish('read-timeout'));
    socket.on('error', () => finish('connection-error'));
    socket.on('close', () => finish());
    socket.on('data', (chunk) => {
      if (done) return;
      tracked.lastActivity = Date.now();
      if (size === 0 && chunk.subarray(0, 4).toString('latin1') === 'GET ') {
        // Someone browsing to the port: say what this is, like MeshCentral does.
        settle();
        socket.end(HTTP_PAGE);
        drop('http-request', { peer });
        return;
      }
      size += chunk.length;
      if (size > HELLO_MAX_BYTES) {
        finish('too-large');
        return;
      }
      chunks.push(chunk);
    });
    socket.on('end', () => {
      if (done) return;
      settle();
      socket.end();
      const handling = handle(Buffer.concat(chunks), peer).catch((err: unknown) => {
        drop('internal-error', { peer, error: err instanceof Error ? err.message : String(err) }, 'error');
      });
      inFlight.add(handling);
      void handling.finally(() => inFlight.delete(handling));
    });
  });
  // A backstop above the budget (which evicts before this is reached); what it refuses is counted too.
  server.maxConnections = limits.total + 64;
  server.on('drop', (data) => drop('server-full', { peer: data?.remoteAddress }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(
      err.code === 'EADDRINUSE' ? new Error(`hello listener: ${options.host}:${options.port} is already in use`, { cause: err }) : err));
    server.listen({ host: options.host, port: options.port, backlog: LISTEN_BACKLOG }, resolve);
  });
  const bound = server.address() as net.AddressInfo;
  log.info('hello listener ready', { address: `${bound.address}:${bound.port}` });
  return {
    host: bound.address,
    port: bound.port,
    stats: () => ({ ...structuredClone(stats), intake: intake.stats() }),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(inFlight);
      await intake.drained();
      dropLog.close();
    },
  };
}
