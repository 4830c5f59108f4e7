// The storm's Hello sender, its own process so its CPU is not the listener's: reads a list of
// Hellos (device UUID, retry count, source address), encodes each with the emulator's Hello
// code and sends it on its own TCP connection from its own loopback address, as many
// connections open at once as `sockets` allows, as fast as it can. Writes when it started and
// ended and how every send went.
//   node --import tsx bench/provision-fleet/helloSender.ts <input.json> <output.json>
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { encodeHello, type HelloFields } from '../../src/emulator/hello/helloMessage';

export interface SenderInput {
  host: string;
  port: number;
  /** Connections open at once. */
  sockets: number;
  hashes: HelloFields['hashes'];
  hellos: { uuid: string; retryCount: number; from: string }[];
}

export interface SenderOutput {
  startedAt: number;
  endedAt: number;
  sent: number;
  /** Sends that failed, by error code (ECONNREFUSED, ECONNRESET, timeout...). */
  failed: Record<string, number>;
  /** This process's CPU (user + system) while it sent. */
  cpuSeconds: number;
}

/** A connection that did not close after this long is counted as failed (the listener's own deadline is 10 s). */
const SEND_TIMEOUT_MS = 15_000;

function sendOne(host: string, port: number, from: string, data: Buffer): Promise<string | undefined> {
  return new Promise((resolve) => {
    let failure: string | undefined;
    const socket = net.connect({ host, port, localAddress: from }, () => socket.end(data));
    socket.setTimeout(SEND_TIMEOUT_MS, () => { failure ??= 'timeout'; socket.destroy(); });
    socket.on('error', (err: NodeJS.ErrnoException) => { failure ??= err.code ?? err.message; });
    socket.on('close', () => resolve(failure));
  });
}

export async function sendHellos(input: SenderInput): Promise<SenderOutput> {
  const messages = input.hellos.map((h) => encodeHello({ adminCredentialsSet: false, retryCount: h.retryCount, uuid: h.uuid, hashes: input.hashes }));
  const failed: Record<string, number> = {};
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: Math.min(input.sockets, messages.length) }, async () => {
    for (let i = next++; i < messages.length; i = next++) {
      const failure = await sendOne(input.host, input.port, input.hellos[i].from, messages[i]);
      if (failure) failed[failure] = (failed[failure] ?? 0) + 1;
    }
  }));
  const cpu = process.cpuUsage(cpuBefore);
  return { startedAt, endedAt: Date.now(), sent: messages.length, failed, cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100 };
}

if (require.main === module) {
  const [inputFile, outputFile] = process.argv.slice(2);
  if (!inputFile || !outputFile) throw new Error('usage: helloSender.ts <input.json> <output.json>');
  void sendHellos(JSON.parse(readFileSync(inputFile, 'utf8')) as SenderInput).then((output) => writeFileSync(outputFile, JSON.stringify(output)));
}
