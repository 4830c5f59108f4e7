// A small layer-4 load balancer for tests: the one Hello address devices are configured with,
// in front of several listeners, as a site with more than one out-of-band service point
// runs them (docs/deploy.md). Connections go round robin; a backend that refuses the
// connection is skipped for the next one, so stopping a listener moves its devices to the
// others. It connects from the device's own address (any 127/8 address is local), so the
// listener still sees the device's IP, as behind a transparent (DSR / PROXY-less) balancer.
import net from 'node:net';

export interface TcpBalancer {
  host: string;
  port: number;
  /** Connections handed to each backend, by "host:port". */
  forwarded: Map<string, number>;
  close(): Promise<void>;
}

export async function startTcpBalancer(options: { host: string; port?: number; backends: { host: string; port: number }[] }): Promise<TcpBalancer> {
  const forwarded = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  let next = 0;
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const connect = (client: net.Socket, tries: number): void => {
    if (tries === 0 || client.destroyed) {
      client.destroy();
      return;
    }
    const backend = options.backends[next++ % options.backends.length];
    const localAddress = (client.remoteAddress ?? '').replace(/^::ffff:/, '');
    const upstream = net.connect({ host: backend.host, port: backend.port, ...(localAddress.startsWith('127.') ? { localAddress } : {}) });
    track(upstream);
    let connected = false;
    upstream.once('error', () => {
      if (connected) client.destroy();
      else connect(client, tries - 1);
    });
    upstream.once('connect', () => {
      connected = true;
      const key = `${backend.host}:${backend.port}`;
      forwarded.set(key, (forwarded.get(key) ?? 0) + 1);
      // Piping resumes the client (paused on connect, so nothing it sent early is lost).
      client.pipe(upstream);
      upstream.pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
  };
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on('error', () => client.destroy());
    connect(client, options.backends.length);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port ?? 0 }, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    host: options.host, port, forwarded,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
