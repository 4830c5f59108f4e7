// The storm's responsiveness probe: every `everyMs` a new connection to the Hello port sends
// `GET ` and times the listener's one-line HTTP page (connect to the page's last byte). Each
// probe comes from the next address of its own block, so the listener's per-address rate limit
// never sees the probe as one noisy peer.
import net from 'node:net';
import { distribution, type Distribution } from './runAnalysis';

export interface ProbeSummary {
  probes: number;
  /** Reply times of the probes that got the page, in ms. */
  replyMs: Distribution;
  /** Probes without the page, by error code (or `no-page`, `timeout`). */
  failed: Record<string, number>;
  /** Probes slower than SLOW_MS: when each started (ms after the probe began) and how long it took, to place them in the storm. */
  slow: { atMs: number; ms: number }[];
}

const SLOW_MS = 500;

const PROBE_TIMEOUT_MS = 5_000;

function probeOnce(host: string, port: number, from: string): Promise<{ ms: number } | { failure: string }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    let reply = '';
    let failure: string | undefined;
    const socket = net.connect({ host, port, localAddress: from }, () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    socket.setTimeout(PROBE_TIMEOUT_MS, () => { failure ??= 'timeout'; socket.destroy(); });
    socket.on('data', (chunk) => { reply += chunk.toString('latin1'); });
    socket.on('error', (err: NodeJS.ErrnoException) => { failure ??= err.code ?? err.message; });
    socket.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (!failure && !reply.includes('AMT Hello listener')) failure = 'no-page';
      resolve(failure ? { failure } : { ms });
    });
  });
}

/** Probes from `addresses` (used in turn) until stop(), which resolves with the summary once the last probe is back. */
export function startProbe(host: string, port: number, addresses: string[], everyMs = 100): { stop(): Promise<ProbeSummary> } {
  const times: number[] = [];
  const failed: Record<string, number> = {};
  const slow: ProbeSummary['slow'] = [];
  const begun = Date.now();
  const pending = new Set<Promise<void>>();
  let n = 0;
  const timer = setInterval(() => {
    const atMs = Date.now() - begun;
    const probe = probeOnce(host, port, addresses[n++ % addresses.length]).then((result) => {
      if ('failure' in result) {
        failed[result.failure] = (failed[result.failure] ?? 0) + 1;
        return;
      }
      times.push(result.ms);
      if (result.ms > SLOW_MS) slow.push({ atMs, ms: Math.round(result.ms) });
    });
    pending.add(probe);
    void probe.finally(() => pending.delete(probe));
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all(pending);
      return { probes: n, replyMs: distribution(times), failed, slow };
    },
  };
}
