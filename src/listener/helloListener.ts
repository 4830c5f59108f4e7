// The hello listener (seed steps 1-3): accepts a device's TCP connection, reads one Hello
// (bounded in size and time), and either drops it with a counted, logged reason or hands it
// to the provisioning run of that device. Bad input never takes the listener down.
import net from 'node:net';
import { HelloRejected, type HelloRejectionReason } from '../amt/errors';
import { parseHello } from '../amt/helloCodec';
import { HELLO_MAX_BYTES } from '../contract/hello';
import type { Logger } from '../log';
import { productMetrics } from '../metrics/productMetrics';
import { decideHello, type DropReason, type HelloLookups } from './helloPolicy';
import { AddressRateLimiter, type RateLimit } from './rateLimiter';

export interface ProvisionRequest {
  uuid: string;
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
  readTimeoutMs?: number;
  rateLimit?: RateLimit;
  maxConnections?: number;
}

/**
 * Why a connection on the Hello port did not reach a run: the policy's reasons, the parser's
 * (malformed:...), transport limits, a browser's HTTP request, or a failure of our own lookups.
 * A fixed set, so it is a metric label (amtprov_hellos_dropped_total).
 */
export type HelloDropReason =
  | DropReason | `malformed:${HelloRejectionReason}`
  | 'rate-limited' | 'read-timeout' | 'connection-error' | 'too-large' | 'http-request' | 'internal-error';

export interface ListenerStats {
  connections: number;
  forwarded: number;
  /** Drops by reason: policy reasons, Hello parse reasons, and transport reasons. */
  dropped: Record<string, number>;
  /** Hellos that were valid but could not be handed to Temporal (the device will send another). */
  forwardFailed: number;
}

export interface HelloListener {
  host: string;
  port: number;
  stats(): ListenerStats;
  close(): Promise<void>;
}

const HTTP_PAGE = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 46\r\n\r\namt-provisioner: AMT Hello listener (TCP/9971)';

export async function startHelloListener(options: HelloListenerOptions): Promise<HelloListener> {
  const { log } = options;
  const limiter = new AddressRateLimiter(options.rateLimit ?? { perSecond: 2, burst: 30 });
  const stats: ListenerStats = { connections: 0, forwarded: 0, dropped: {}, forwardFailed: 0 };
  const drop = (reason: HelloDropReason, fields: Record<string, string | number | undefined>, level: 'info' | 'error' = 'info'): void => {
    stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
    productMetrics.helloDropped(reason);
    log[level]('hello dropped', { reason, ...fields });
  };

  const handle = async (data: Buffer, peer: string): Promise<void> => {
    let hello;
    try {
      hello = parseHello(data);
    } catch (err) {
      if (!(err instanceof HelloRejected)) throw err;
      drop(`malformed:${err.reason}`, { peer, detail: err.message });
      return;
    }
    const decision = decideHello(hello, options.lookups);
    if (decision.action === 'drop') {
      drop(decision.reason, { peer, uuid: hello.uuid, retryCount: hello.retryCount });
      return;
    }
    try {
      await options.provision({ uuid: decision.uuid, trustedRootHashes: decision.trustedRootHashes, retryCount: hello.retryCount, peerAddress: peer });
      stats.forwarded += 1;
      productMetrics.helloForwarded('ok');
      log.info('hello forwarded to provisioning run', { peer, uuid: hello.uuid, retryCount: hello.retryCount });
    } catch (err) {
      stats.forwardFailed += 1;
      productMetrics.helloForwarded('failed');
      log.error('could not start or signal the provisioning run; the device will send another Hello', {
        peer, uuid: hello.uuid, error: err instanceof Error ? err.message : String(err),
      });
    }
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
    const finish = (reason?: HelloDropReason): void => {
      if (done) return;
      done = true;
      socket.destroy();
      if (reason) drop(reason, { peer, bytes: size });
    };
    socket.setTimeout(options.readTimeoutMs ?? 5_000, () => finish('read-timeout'));
    socket.on('error', () => finish('connection-error'));
    socket.on('data', (chunk) => {
      if (done) return;
      if (size === 0 && chunk.subarray(0, 4).toString('latin1') === 'GET ') {
        // Someone browsing to the port: say what this is, like MeshCentral does.
        done = true;
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
      done = true;
      socket.end();
      handle(Buffer.concat(chunks), peer).catch((err: unknown) => {
        drop('internal-error', { peer, error: err instanceof Error ? err.message : String(err) }, 'error');
      });
    });
  });
  server.maxConnections = options.maxConnections ?? 2_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(
      err.code === 'EADDRINUSE' ? new Error(`hello listener: ${options.host}:${options.port} is already in use`, { cause: err }) : err));
    server.listen({ host: options.host, port: options.port }, resolve);
  });
  const bound = server.address() as net.AddressInfo;
  log.info('hello listener ready', { address: `${bound.address}:${bound.port}` });
  return {
    host: bound.address,
    port: bound.port,
    stats: () => structuredClone(stats),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
