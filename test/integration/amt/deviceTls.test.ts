// Mutual TLS and certificate pinning against an in-test HTTPS server on loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { certificateSha256, connectDeviceTls, DeviceTlsAgent, type DeviceIdentity } from '../../../src/amt/deviceTls';
import { DigestSession } from '../../../src/amt/digestClient';
import { DeviceCertificateChanged, DeviceTlsFailed, DeviceUnreachable } from '../../../src/amt/errors';
import { certDer, issue, provisioningPki, rsaKey, type TestCert } from '../../unit/amt/support/testPki';

const HOST = '127.0.31.1';
const pki = provisioningPki();
const clientCredential = { privateKeyPem: pki.leaf.keyPem, chainPem: pki.chainPem };
const selfSigned = issue({ cn: 'Intel(R) AMT device', key: rsaKey(2048, 7) });
const otherSelfSigned = issue({ cn: 'Intel(R) AMT device', key: rsaKey(2048, 8) });
const siteCa = issue({ cn: 'Site Issuing CA', ca: true, key: rsaKey(2048, 9) });
const siteIssued = issue({ cn: 'pc-0042.amt.test', san: ['pc-0042.amt.test'], issuer: siteCa, key: rsaKey(2048, 7), eku: ['serverAuth'] });
const fingerprint = (cert: TestCert) => certificateSha256(certDer(cert.cert));

interface TestDevice {
  port: number;
  /** Subject CNs of the client chain each TLS connection presented. */
  clientChains: string[][];
  requests: number;
  close: () => Promise<void>;
}

/**
 * An HTTPS server asking for a client certificate. With `refuseClientsOf` it enforces the chain
 * against that root (OpenSSL then refuses); otherwise it accepts any and records the chain:
 * OpenSSL's own check would refuse the provisioning leaf for lacking the clientAuth EKU,
 * which AMT does not require (docs/amt-protocol.md section 3 rule 1).
 */
async function startDevice(serverCert: TestCert, options: { refuseClientsOf?: TestCert; port?: number } = {}): Promise<TestDevice> {
  const device: TestDevice = { port: 0, clientChains: [], requests: 0, close: () => Promise.resolve() };
  const server = https.createServer({
    key: serverCert.keyPem, cert: serverCert.certPem, requestCert: true,
    rejectUnauthorized: options.refuseClientsOf !== undefined, ca: [(options.refuseClientsOf ?? pki.root).certPem],
  }, (request, response) => {
    device.requests++;
    request.resume();
    request.on('end', () => response.end('ok'));
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    const chain: string[] = [];
    for (let peer = socket.getPeerCertificate(true); peer?.subject; peer = peer.issuerCertificate) {
      chain.push(peer.subject.CN as string);
      if (peer.issuerCertificate === peer) break;
    }
    device.clientChains.push(chain);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, HOST, resolve));
  device.port = (server.address() as AddressInfo).port;
  device.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return device;
}

void describe('connectDeviceTls', () => {
  let device: TestDevice;
  before(async () => { device = await startDevice(selfSigned); });
  after(() => device.close());

  const connect = async (identity: DeviceIdentity) => {
    const { socket, certificate } = await connectDeviceTls({ host: HOST, port: device.port, clientCredential, identity });
    socket.destroy();
    return certificate;
  };

  void it('presents the provisioning leaf with its full chain and records the device fingerprint at first contact', async () => {
    const certificate = await connect({});
    assert.deepEqual(certificate, { sha256: fingerprint(selfSigned), acceptedAs: 'first-contact' });
    // Under TLS 1.2 the server has verified our chain before our handshake completes.
    assert.deepEqual(device.clientChains.at(-1), ['prov.amt.test', 'Test Issuing CA', 'Test Root CA']);
  });

  void it('accepts the pinned fingerprint, in any case', async () => {
    assert.equal((await connect({ pinnedSha256: fingerprint(selfSigned).toUpperCase() })).acceptedAs, 'pinned');
  });

  void it('refuses a different certificate with DeviceCertificateChanged', async () => {
    await assert.rejects(connect({ pinnedSha256: fingerprint(otherSelfSigned) }), (error: unknown) => {
      assert.ok(error instanceof DeviceCertificateChanged);
      assert.equal(error.retryable, false);
      assert.equal(error.presentedSha256, fingerprint(selfSigned));
      assert.equal(error.expectedSha256, fingerprint(otherSelfSigned));
      return true;
    });
  });
});

void describe('after commit: the certificate the site CA issued', () => {
  let device: TestDevice;
  before(async () => { device = await startDevice(siteIssued); });
  after(() => device.close());
  const identity = (fqdn: string, ca: TestCert = siteCa): DeviceIdentity => ({ pinnedSha256: fingerprint(selfSigned), siteIssued: { caChainPem: [ca.certPem], fqdn } });

  void it('is accepted when it chains to the site CA and names the device FQDN', async () => {
    const { socket, certificate } = await connectDeviceTls({ host: HOST, port: device.port, clientCredential, identity: identity('pc-0042.amt.test') });
    socket.destroy();
    assert.deepEqual(certificate, { sha256: fingerprint(siteIssued), acceptedAs: 'site-issued' });
  });

  void it('is refused for another FQDN or another CA', async () => {
    await assert.rejects(connectDeviceTls({ host: HOST, port: device.port, clientCredential, identity: identity('pc-0043.amt.test') }), DeviceCertificateChanged);
    const strangerCa = issue({ cn: 'Site Issuing CA', ca: true, key: rsaKey(2048, 10) });
    await assert.rejects(connectDeviceTls({ host: HOST, port: device.port, clientCredential, identity: identity('pc-0042.amt.test', strangerCa) }), DeviceCertificateChanged);
  });
});

void describe('DeviceTlsAgent', () => {
  void it('keeps one connection alive and pins its first certificate, so a swapped device is refused before any request', async () => {
    const first = await startDevice(selfSigned);
    const agent = new DeviceTlsAgent({ host: HOST, port: first.port, clientCredential, identity: {} });
    try {
      const session = new DigestSession(agent, { username: 'u', password: 'p' });
      assert.equal((await session.post('/x', 'a', 'text/plain')).status, 200);
      assert.equal((await session.post('/x', 'b', 'text/plain')).status, 200);
      assert.equal(first.clientChains.length, 1, 'both requests share one TLS connection');
      assert.equal(agent.lastCertificate?.acceptedAs, 'first-contact');
      await first.close();
      // Same address and port, different device certificate (an impostor or a re-imaged device).
      const second = await startDevice(otherSelfSigned, { port: first.port });
      try {
        await assert.rejects(session.post('/x', 'c', 'text/plain'), DeviceCertificateChanged);
        assert.equal(second.requests, 0);
      } finally {
        await second.close();
      }
    } finally {
      agent.destroy();
    }
  });
});

void describe('connection failures are typed and retryable', () => {
  void it('a device that refuses our client certificate -> DeviceTlsFailed', async () => {
    const strangerRoot = issue({ cn: 'Unrelated Root', ca: true, key: rsaKey(2048, 11) });
    const device = await startDevice(selfSigned, { refuseClientsOf: strangerRoot });
    try {
      await assert.rejects(connectDeviceTls({ host: HOST, port: device.port, clientCredential, identity: {} }), (error: unknown) => {
        assert.ok(error instanceof DeviceTlsFailed, `got ${String(error)}`);
        assert.equal(error.retryable, true);
        return true;
      });
      assert.equal(device.requests, 0);
    } finally {
      await device.close();
    }
  });

  void it('nothing listening -> DeviceUnreachable', async () => {
    const device = await startDevice(selfSigned);
    await device.close();
    await assert.rejects(connectDeviceTls({ host: HOST, port: device.port, clientCredential, identity: {} }), (error: unknown) => {
      assert.ok(error instanceof DeviceUnreachable);
      assert.equal(error.retryable, true);
      assert.match(error.message, /ECONNREFUSED/);
      return true;
    });
  });
});
