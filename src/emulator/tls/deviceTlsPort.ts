// The device's TLS port (16993). One TCP listener stays open while the device is on; each
// accepted socket goes to the TLS front of what the firmware presents right now:
// - setup (pre/in-provisioning): the self-signed certificate, a client certificate required and
//   section 3 enforced by us (Node has no custom verify hook, so the chain is checked the
//   moment the handshake completes and a refused socket is destroyed before HTTP sees a byte);
// - operational (post-provisioning): the certificate the server issued, no client certificate;
// - TLS disabled post-provisioning: TCP accepted only to record the refusal and close.
// When that changes (CommitChanges, SetTLSKeyAndCertificate, unprovision) the new identity takes
// effect for the next handshake (setSecureContext, no listener gap), and sessions set up under
// the old one are dropped, as a firmware restarting its TLS stack drops them: idle ones at once,
// busy ones right after their response (which says `Connection: close`).
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { Firmware, TlsIdentity } from '../firmware/firmware';
import { maxCaRsaKeyBits } from '../firmware/releaseRules';
import { checkClientChain } from './clientChainRules';

export interface DeviceTlsPortOptions {
  host: string;
  port: number;
  firmware: Firmware;
  /** Every accepted TCP socket, for power-off to destroy. */
  onRawSocket: (socket: net.Socket) => void;
  /** A verified TLS session, ready for HTTP. */
  onSession: (socket: tls.TLSSocket) => void;
  /** A session of an identity the device no longer presents: close it once its current request is answered. */
  onRetire: (socket: tls.TLSSocket) => void;
}

type Mode = 'setup' | 'operational';

/** A TLS server that never listens: the port's TCP listener hands it sockets. */
interface TlsFront {
  server: tls.Server;
  /** SHA-256 fingerprint (Node's colon form) of the certificate its context serves. */
  fingerprint: string;
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

const modeOf = (identity: TlsIdentity): Mode => (identity.requireProvisioningClientCertificate ? 'setup' : 'operational');
const fingerprintOf = (pem: string): string => new crypto.X509Certificate(pem).fingerprint256;
const peerOf = (socket: net.Socket): string => `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;

function secureContextOptions(identity: TlsIdentity): tls.SecureContextOptions {
  return {
    key: identity.privateKeyPem,
    cert: [identity.certificatePem, ...identity.chainPems].join('\n'),
    // Verification is ours (checkClientChain); an empty CA list also keeps Node from
    // completing the client's chain from its own root store.
    ca: [],
    // AMT 11 speaks TLS 1.2 (emulator's choice of the era's firmware; docs/amt-protocol.md is silent).
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
  };
}

export class DeviceTlsPort {
  private listener: net.Server | null = null;
  private readonly fronts: Partial<Record<Mode, TlsFront>> = {};
  /** What new connections get: the front of the current identity, or null (TLS disabled). */
  private current: TlsFront | null = null;
  /** Established sessions: the front and certificate they were set up under. */
  private readonly sessions = new Map<tls.TLSSocket, { front: TlsFront; fingerprint: string }>();
  /** New handshakes wait until then while the firmware restarts its TLS stack (timing profile tlsApplyMs). */
  private restartingUntil = 0;

  constructor(private readonly options: DeviceTlsPortOptions) {}

  async listen(): Promise<void> {
    this.select();
    const listener = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host: this.options.host, port: this.options.port }, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    this.listener = listener;
  }

  /**
   * Takes up what the firmware presents now (after commit, SetTLSKeyAndCertificate, unprovision):
   * synchronous, so the next handshake already sees it; sessions of another identity are retired.
   */
  refresh(): void {
    if (!this.listener) return;
    const before = this.current && { front: this.current, fingerprint: this.current.fingerprint };
    this.select();
    const current = this.current;
    const applyMs = this.options.firmware.timing.tlsApplyMs;
    if (applyMs > 0 && (before?.front !== current || before?.fingerprint !== current?.fingerprint)) {
      this.restartingUntil = Date.now() + applyMs;
    }
    for (const [socket, session] of this.sessions) {
      if (session.front !== current || session.fingerprint !== current.fingerprint) {
        this.sessions.delete(socket);
        this.options.onRetire(socket);
      }
    }
  }

  /** Stops accepting; open sessions are the owner's to destroy. */
  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = null;
    this.sessions.clear();
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  /** Points `current` at the front for the firmware's identity, swapping that front's certificate if it changed. */
  private select(): void {
    const identity = this.options.firmware.tlsIdentity();
    if (!identity) {
      this.current = null;
      return;
    }
    const mode = modeOf(identity);
    const fingerprint = fingerprintOf(identity.certificatePem);
    let front = this.fronts[mode];
    if (!front) {
      front = this.createFront(mode, identity, fingerprint);
      this.fronts[mode] = front;
    } else if (front.fingerprint !== fingerprint) {
      front.server.setSecureContext(secureContextOptions(identity));
      front.fingerprint = fingerprint;
    }
    this.current = front;
  }

  private sessionCertificate(socket: tls.TLSSocket): string | undefined {
    const local = socket.getCertificate();
    return local && 'fingerprint256' in local ? local.fingerprint256 : undefined;
  }

  private accept(socket: net.Socket): void {
    this.options.onRawSocket(socket);
    if (socket.destroyed) return;
    // The ClientHello waits in the socket's buffer while the firmware is slow to answer it.
    const fw = this.options.firmware;
    const waitMs = Math.max(0, this.restartingUntil - Date.now()) + fw.timing.tlsHandshakeMs;
    if (waitMs === 0) {
      this.handOver(socket);
      return;
    }
    fw.counters.timingDelayMs += waitMs;
    setTimeout(() => {
      if (!socket.destroyed) this.handOver(socket);
    }, waitMs);
  }

  /** Gives the socket to the TLS front of the identity current now. */
  private handOver(socket: net.Socket): void {
    const front = this.current;
    if (!front) {
      this.options.firmware.counters.recordTlsRefusal(peerOf(socket), 'tls-disabled', 'TLS is disabled on this device');
      socket.destroy();
      return;
    }
    front.server.emit('connection', socket);
  }

  private createFront(mode: Mode, identity: TlsIdentity, fingerprint: string): TlsFront {
    const fw = this.options.firmware;
    const server = tls.createServer({
      ...secureContextOptions(identity),
      requestCert: mode === 'setup',
      rejectUnauthorized: false,
      handshakeTimeout: 10_000,
    });
    const front: TlsFront = { server, fingerprint };
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      // A handshake that began before the identity changed finished with the old one.
      if (front !== this.current || this.sessionCertificate(socket) !== front.fingerprint) {
        socket.destroy();
        return;
      }
      if (mode === 'setup' && !this.setupChainAccepted(socket)) return;
      fw.counters.tlsAccepted += 1;
      this.sessions.set(socket, { front, fingerprint: front.fingerprint });
      socket.once('close', () => this.sessions.delete(socket));
      this.options.onSession(socket);
    });
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      fw.counters.recordTlsRefusal(peerOf(socket), 'handshake-failed', err.message);
    });
    return front;
  }

  /** Section 3, enforced by the device during setup; a refusal is recorded and the socket destroyed. */
  private setupChainAccepted(socket: tls.TLSSocket): boolean {
    const fw = this.options.firmware;
    const chain = peerChainDer(socket);
    if (chain.length === 0) {
      fw.counters.recordTlsRefusal(peerOf(socket), 'no-client-certificate', 'the client sent no certificate');
      socket.destroy();
      return false;
    }
    const failures = checkClientChain(chain, {
      trustedRootHashes: fw.activeRootHashes(),
      dnsSuffix: fw.state.dnsSuffix,
      now: fw.now(),
      maxCaKeyBits: maxCaRsaKeyBits(fw.state.firmwareVersion),
    });
    const first = failures[0];
    if (!first) return true;
    fw.counters.recordTlsRefusal(peerOf(socket), first.reason, failures.map((f) => `${f.reason}: ${f.detail}`).join('; '));
    socket.destroy();
    return false;
  }
}
