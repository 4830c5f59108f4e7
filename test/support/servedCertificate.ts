// What an emulated device's TLS port presents to a plain new client right now (after
// provisioning it asks for no client certificate), for tests that watch certificates change.
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { AMT_HTTPS_PORT } from '../../src/contract/ports';

export function servedCertificate(host: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port: AMT_HTTPS_PORT, rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.destroy();
      if (peer) resolve(peer);
      else reject(new Error(`${host} presented no certificate`));
    });
    socket.once('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`${host}: no TLS handshake within 10 s`)));
  });
}
