// Builds Hello messages byte by byte for listener tests (docs/amt-protocol.md section 2), written
// independently of both the server's parser and the emulator's sender, and sends them as a device would.
import net from 'node:net';

export function helloBytes(options: { uuid: string; hashes: { algorithm: 1 | 2 | 3; hex: string }[]; retryCount?: number; adminSet?: boolean }): Buffer {
  const hex = options.uuid.replace(/-/g, '');
  const raw = Buffer.from(hex, 'hex');
  // SMBIOS order: the first three groups little-endian.
  const smbios = Buffer.concat([
    Buffer.from(raw.subarray(0, 4)).reverse(), Buffer.from(raw.subarray(4, 6)).reverse(),
    Buffer.from(raw.subarray(6, 8)).reverse(), raw.subarray(8, 16),
  ]);
  const header = Buffer.alloc(8);
  header.writeUInt16LE(options.adminSet ? 1 : 0, 0);
  header.writeUInt16LE(3, 2);
  header.writeUInt32LE(options.retryCount ?? 0, 4);
  const entries = options.hashes.map((h) => {
    const bytes = Buffer.from(h.hex, 'hex');
    return Buffer.concat([Buffer.from([h.algorithm, bytes.length]), bytes]);
  });
  return Buffer.concat([header, smbios, Buffer.from([options.hashes.length]), ...entries]);
}

/** One connection from `from` to the listener: the bytes, then end; resolves when the listener closed it. */
export function sendHelloBytes(data: Buffer, to: { host: string; port: number }, from: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: to.host, port: to.port, localAddress: from }, () => socket.end(data));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}
