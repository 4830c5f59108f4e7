// Mutual TLS to an AMT device on <ip>:16993 (docs/amt-protocol.md section 3). We present the
// provisioning key and its full chain as the client certificate. The device's certificate
// is not checked against a CA but pinned: before commit it is self-signed, so the first
// contact records its SHA-256 fingerprint and a later different one is refused; after
// commit the device serves the certificate our site CA issued, accepted when it chains
// to that CA and names the device FQDN (and then re-pinned by the caller).
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { X509Certificate, createHash } from 'node:crypto';
import { AMT_HTTPS_PORT } from '../contract/ports';
import { AmtProtocolError, DeviceCertificateChanged, DeviceTlsFailed, DeviceUnreachable } from './errors';

export interface ProvisioningClientCredential {
  privateKeyPem: string;
  /** Leaf first, root last (as splitPkcs12 returns it). */
  chainPem: string[];
}

export interface DeviceIdentity {
  /** Lowercase hex SHA-256 of the device certificate recorded earlier; undefined = first contact. */
  pinnedSha256?: string;
  /** Once the site CA issued the device its TLS certificate (seed step 7.3). */
  siteIssued?: {
    caChainPem: string[];
    fqdn: string;
    /**
     * While a certificate renewal is pending: the only site-issued certificates accepted (the
     * one the device served and its successor), lowercase hex SHA-256. Absent: any the site issued.
     */
    servedSha256?: string[];
  };
}

export type DeviceCertificateAcceptance = 'first-contact' | 'pinned' | 'site-issued';

export interface VerifiedDeviceCertificate {
  /** What to record as the pin from now on. */
  sha256: string;
  acceptedAs: DeviceCertificateAcceptance;
}

export interface DeviceTlsTarget {
  host: string;
  port?: number;
  clientCredential: ProvisioningClientCredential;
  identity: DeviceIdentity;
  /** Connect + handshake deadline; default 15 s. */
  connectTimeoutMs?: number;
}

export function certificateSha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Decides whether the device certificate (DER) is acceptable for this identity. */
export function verifyDeviceCertificate(der: Buffer, identity: DeviceIdentity, now = new Date()): VerifiedDeviceCertificate {
  const sha256 = certificateSha256(der);
  if (identity.pinnedSha256 !== undefined && identity.pinnedSha256.toLowerCase() === sha256) return { sha256, acceptedAs: 'pinned' };
  if (identity.siteIssued && isSiteIssued(der, identity.siteIssued, now) && (identity.siteIssued.servedSha256?.includes(sha256) ?? true)) {
    return { sha256, acceptedAs: 'site-issued' };
  }
  if (identity.pinnedSha256 === undefined) return { sha256, acceptedAs: 'first-contact' };
  throw new DeviceCertificateChanged(identity.pinnedSha256.toLowerCase(), sha256);
}

/** The certificate (DER) is valid now, names the FQDN and was issued by a member of the site's CA chain. */
export function isSiteIssued(der: Buffer, site: NonNullable<DeviceIdentity['siteIssued']>, now = new Date()): boolean {
  const cert = new X509Certificate(der);
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return false;
  if (cert.checkHost(site.fqdn, { wildcards: false }) === undefined) return false;
  // The CA chain is our own configuration, so being issued by any of its members suffices.
  return site.caChainPem.some((pem) => {
    const ca = new X509Certificate(pem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  });
}

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EADDRNOTAVAIL', 'ECONNABORTED']);

/** Maps a socket/TLS error to a typed, retryable protocol error; typed errors pass through. */
export function classifyConnectionError(error: unknown, where: string): AmtProtocolError {
  if (error instanceof AmtProtocolError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (NETWORK_ERROR_CODES.has(code)) return new DeviceUnreachable(`${where}: ${code}`, { cause: error });
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /alert|handshake|certificate/i.test(message)) {
    return new DeviceTlsFailed(`${where}: TLS failed (${code || message})`, { cause: error });
  }
  return new DeviceUnreachable(`${where}: ${code || message}`, { cause: error });
}

/** Provisioning credentials in use (a site has a few); each context is built once, not per connection. */
const CONTEXT_CACHE_SIZE = 16;
const contexts = new Map<string, tls.SecureContext>();

/**
 * The TLS context presenting a provisioning credential, TLS 1.2 at most (spoken by every AMT
 * generation; it makes the device judge our chain inside the handshake, so its refusal is a
 * handshake error here, not a reset on the first request). Building it parses the key and
 * chain: 1.6 s of the worker's 29 s of CPU for 100 runs (bench/provision-fleet --cpu-prof).
 * Keyed by a hash of the credential, least recently used dropped first.
 */
function clientContext(credential: ProvisioningClientCredential): tls.SecureContext {
  const id = createHash('sha256').update(credential.privateKeyPem).update('\0').update(credential.chainPem.join('\n')).digest('hex');
  let context = contexts.get(id);
  if (context) {
    contexts.delete(id);
  } else {
    context = tls.createSecureContext({ key: credential.privateKeyPem, cert: credential.chainPem.join('\n'), maxVersion: 'TLSv1.2' });
    if (contexts.size >= CONTEXT_CACHE_SIZE) contexts.delete(contexts.keys().next().value!);
  }
  contexts.set(id, context);
  return context;
}

/** Opens a TLS connection and resolves only once the device certificate passed verifyDeviceCertificate. */
/** `peer` is the certificate as read in the handshake (the socket may be closed by the device later). */
export function connectDeviceTls(target: DeviceTlsTarget): Promise<{ socket: tls.TLSSocket; certificate: VerifiedDeviceCertificate; peer: X509Certificate }> {
  const port = target.port ?? AMT_HTTPS_PORT;
  const where = `TLS to ${target.host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: target.host,
      port,
      secureContext: clientContext(target.clientCredential),
      // The device certificate is judged by verifyDeviceCertificate (pin or site CA), not by a CA store.
      rejectUnauthorized: false,
      ...tlsServerName(target.host),
    });
    const timer = setTimeout(() => socket.destroy(new DeviceUnreachable(`${where}: no handshake within ${target.connectTimeoutMs ?? 15_000} ms`)), target.connectTimeoutMs ?? 15_000);
    let tcpConnected = false;
    socket.once('connect', () => { tcpConnected = true; });
    const fail = (error: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      const typed = classifyConnectionError(error, where);
      // A connection that breaks after TCP connected but before the handshake finished is the device refusing TLS.
      reject(tcpConnected && !(error instanceof AmtProtocolError) && typed instanceof DeviceUnreachable ? new DeviceTlsFailed(`${where}: handshake broken (${typed.message})`, { cause: error }) : typed);
    };
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      try {
        const peer = socket.getPeerX509Certificate();
        if (!peer) throw new DeviceTlsFailed(`${where}: the device presented no certificate`);
        const certificate = verifyDeviceCertificate(peer.raw, target.identity);
        socket.removeListener('error', fail);
        resolve({ socket, certificate, peer });
      } catch (error) {
        fail(error);
      }
    });
  });
}

/** SNI only for names: RFC 6066 forbids IP addresses in server_name. */
function tlsServerName(host: string): { servername?: string } {
  return /^[\d.]+$|:/.test(host) ? {} : { servername: host };
}

/**
 * Keep-alive HTTPS agent for one device whose every new connection goes through
 * connectDeviceTls: no request bytes reach a device whose certificate fails the check.
 * The accepted certificate becomes the pin for the agent's later connections, so a
 * device that changes certificate mid-run is refused too.
 */
export class DeviceTlsAgent extends https.Agent {
  /** The most recent verification result (e.g. to record the pin after first contact). */
  lastCertificate: VerifiedDeviceCertificate | undefined;
  private target: DeviceTlsTarget;

  constructor(target: DeviceTlsTarget) {
    // TLS sessions are not cached: a resumed session would skip the certificate check.
    super({ keepAlive: true, maxSockets: 2, maxCachedSessions: 0 });
    this.target = target;
  }

  get host(): string {
    return this.target.host;
  }

  get port(): number {
    return this.target.port ?? AMT_HTTPS_PORT;
  }

  override createConnection(_options: unknown, callback?: (error: Error | null, socket: Duplex) => void): Duplex | null | undefined {
    connectDeviceTls(this.target).then(({ socket, certificate }) => {
      this.lastCertificate = certificate;
      this.target = { ...this.target, identity: { ...this.target.identity, pinnedSha256: certificate.sha256 } };
      callback?.(null, socket);
    }, (error: Error) => callback?.(error, undefined as unknown as Duplex));
    return undefined;
  }
}
