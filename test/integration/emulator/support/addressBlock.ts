// Engineers share this machine and run the suite concurrently; each test file starts its fleet
// on fixed loopback addresses (the ports, 16992/16993, are fixed by the contract), so two runs
// of one file would collide (EADDRINUSE in `before`). A run holds a file's address block by
// listening on <first device ip>:16991 (no AMT port) while it uses the block; a second run waits
// for it. The OS frees the port when a process dies, so a crashed run leaves no stale lock.
import net from 'node:net';

const LOCK_PORT = 16991;
const RETRY_MS = 200;

/** Waits until this process holds `ip`'s block; resolves to its release. */
export async function holdAddressBlock(ip: string, maxWaitMs = 10 * 60_000): Promise<() => Promise<void>> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const server = net.createServer((socket) => socket.destroy());
    const outcome = await new Promise<'held' | 'busy'>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve('busy') : reject(err)));
      server.listen({ host: ip, port: LOCK_PORT, exclusive: true }, () => resolve('held'));
    });
    if (outcome === 'held') {
      server.unref();
      return () => new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (Date.now() > deadline) throw new Error(`address block ${ip} is still used by another test run after ${maxWaitMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}
