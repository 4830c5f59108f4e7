// Ports: start-up checks that name a taken port before a child process fails obscurely, free
// ports for servers a process starts on its own, and waiting for a TCP listener.
import net from 'node:net';

export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws one error naming every taken port, e.g. "127.0.0.1:7233 (Temporal gRPC)". */
export async function assertPortsFree(wanted: { host: string; port: number; what: string }[]): Promise<void> {
  const taken: string[] = [];
  for (const { host, port, what } of wanted) {
    if (!(await isPortFree(host, port))) taken.push(`${host}:${port} (${what})`);
  }
  if (taken.length > 0) {
    throw new Error(`port(s) already in use: ${taken.join(', ')}. Stop whatever holds them or change the port in the config.`);
  }
}

/** An OS-assigned free TCP port on host (tests use this for servers they start). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once host:port accepts a TCP connection, or rejects after timeoutMs. */
export async function waitForTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not accept connections within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
