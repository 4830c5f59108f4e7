// The load side of the fleet benchmark, run in its own process: full mutual-TLS handshakes
// (no session reuse) against random devices, each followed by one HTTP request so the count
// only includes sessions the device verified and accepted (it answers 401).
// Input: one JSON argument {ips, keyPem, chainPems, durationMs, concurrency}; output: one JSON line.
import tls from 'node:tls';

interface Input {
  ips: string[];
  keyPem: string;
  chainPems: string[];
  durationMs: number;
  concurrency: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as Input;
const context = tls.createSecureContext({ key: input.keyPem, cert: input.chainPems.join('\n') });

function oneHandshake(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: ip, port: 16993, secureContext: context, rejectUnauthorized: false });
    let answer = '';
    socket.setTimeout(10_000, () => socket.destroy());
    socket.once('secureConnect', () => socket.write(`POST /wsman HTTP/1.1\r\nHost: ${ip}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.once('close', () => resolve(answer.startsWith('HTTP/1.1 401')));
    socket.once('error', () => undefined);
  });
}

async function main(): Promise<void> {
  const deadline = Date.now() + input.durationMs;
  let accepted = 0;
  let failed = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      while (Date.now() < deadline) {
        const ip = input.ips[Math.floor(Math.random() * input.ips.length)];
        if (await oneHandshake(ip)) accepted += 1;
        else failed += 1;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ accepted, failed, seconds, perSecond: accepted / seconds })}\n`);
}

void main();
