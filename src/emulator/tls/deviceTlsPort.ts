// The device's TLS port (16993). During setup it asks for a client certificate and enforces
// section 3 itself: Node's TLS server has no custom verify hook, so the chain is checked the
// moment the handshake completes and a refused socket is destroyed before HTTP sees a byte.
// After commit it presents the certificate the server issued and asks for none; with TLS
// disabled post-provisioning it accepts TCP only to record the refusal and close.
import net from 'node:net';
import tls from 'node:tls';
import type { Firmware, TlsIdentity } from '../firmware/firmware';
import { checkClientChain } from './clientChainRules';

export interface DeviceTlsPortOptions {
  host: string;
  port: number;
  firmware: Firmware;
  /** Every accepted TCP socket, for power-off to destroy. */
  onRawSocket: (socket: net.Socket) => void;
  /** A verified TLS session, ready for HTTP. */
  onSession: (socket: tls.TLSSocket) => void;
}

/** The peer chain as the client sent it, leaf first (Node links it by issuer). */
function peerChainDer(socket: tls.TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw && chain.length < 10) {
    chain.push(cert.raw);
    const issuer: tls.DetailedPeerCertificate | undefined = cert.issuerCertificate;
    if (!issuer || issuer === cert || issuer.raw.equals(cert.raw)) break;
    cert = issuer;
  }
  return chain;
}

function identityKey(identity: TlsIdentity | null): string {
  return identity ? `${identity.certificatePem}|${identity.requireProvisioningClientCertificate}` : 'disabled';
}

export class DeviceTlsPort {
  private server: net.Server | null = null;
  private currentKey = '';

  constructor(private readonly options: DeviceTlsPortOptions) {}

  async listen(): Promise<void> {
    const identity = this.options.firmware.tlsIdentity();
    const server = identity ? this.tlsServer(identity) : this.refusingServer();
    server.on('connection', (socket: net.Socket) => this.options.onRawSocket(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.options.host, port: this.options.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.currentKey = identityKey(identity);
  }

  /** Re-listens with a new identity when what the firmware presents changed (commit, SetTls*, unprovision). */
  async refresh(): Promise<void> {
    if (!this.server || identityKey(this.options.firmware.tlsIdentity()) === this.currentKey) return;
    await this.close();
    await this.listen();
  }

  /** Stops accepting; open sessions are the owner's to destroy. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private tlsServer(identity: TlsIdentity): tls.Server {
    const fw = this.options.firmware;
    const server = tls.createServer({
      key: identity.privateKeyPem,
      cert: [identity.certificatePem, ...identity.chainPems].join('\n'),
      requestCert: identity.requireProvisioningClientCertificate,
      // Verification is ours (checkClientChain); an empty CA list also keeps Node from
      // completing the client's chain from its own root store.
      rejectUnauthorized: false,
      ca: [],
      // AMT 11 speaks TLS 1.2 (emulator's choice of the era's firmware; AMT-PROTOCOL.md is silent).
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      handshakeTimeout: 10_000,
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      if (identity.requireProvisioningClientCertificate) {
        const chain = peerChainDer(socket);
        if (chain.length === 0) {
          fw.counters.recordTlsRefusal(peer, 'no-client-certificate', 'the client sent no certificate');
          socket.destroy();
          return;
        }
        const failures = checkClientChain(chain, { trustedRootHashes: fw.state.trustedRootHashes, dnsSuffix: fw.state.dnsSuffix, now: fw.now() });
        const first = failures[0];
        if (first) {
          fw.counters.recordTlsRefusal(peer, first.reason, failures.map((f) => `${f.reason}: ${f.detail}`).join('; '));
          socket.destroy();
          return;
        }
      }
      fw.counters.tlsAccepted += 1;
      this.options.onSession(socket);
    });
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      fw.counters.recordTlsRefusal(`${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, 'handshake-failed', err.message);
    });
    return server;
  }

  private refusingServer(): net.Server {
    const fw = this.options.firmware;
    return net.createServer((socket) => {
      fw.counters.recordTlsRefusal(`${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, 'tls-disabled', 'TLS is disabled on this device');
      socket.destroy();
    });
  }
}
