// The site server's HTTPS API for client agents (docs/amt-protocol.md section 7). Agents
// authenticate with mutual TLS (certificates from `amtprov agent enroll`, see
// apiCertificates.ts); anything else gets 401 before its body is read. Routes:
//   GET  /v1/provisioning-roots  -> 200 {roots: [{subjectCn, dnsSuffix, sha1, sha256, sha384}]}
//   POST /v1/in-band-requests    {uuid, otpHash, hostName, domain, trustedRootHashes}
//                                -> 202 {workflowId, computer: {uuid, netbiosName, fqdn, discovered}}
// Refusals are {"error": "<sentence>"}: 400 bad JSON or schema, 401 not an enrolled agent,
// 404/405 unknown route, 409 host name taken by another computer, 413 body over the limit,
// 415 not JSON, 503 recorded but the run could not be started (the agent retries).
import { X509Certificate } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../log';
import { RateBoundedLog } from '../../logRate';
import { ConnectionBudget, type ConnectionLimits, type TrackedConnection } from '../../net/connectionBudget';
import type { EnrolledAgentRecord } from '../agents';
import type { SiteStore } from '../store';
import { agentCertificateProblem, agentNameOf, issueSiteServerCertificate } from './apiCertificates';
import { ApiError, readJsonBody, sendJson } from './httpJson';
import { recordInBandRequest } from './inBandRequests';
import { API_PATHS, inBandRequestSchema, MAX_BODY_BYTES, type InBandAccepted, type ProvisioningRoot } from './schemas';
import type { InBandRunStarter } from './startInBandRun';

/** Where `amtprov site-server` and `npm start` listen unless told otherwise (the contract fixes no port). */
export const SITE_API_DEFAULT_PORT = 9443;

export interface SiteApiLimits {
  maxBodyBytes: number;
  handshakeTimeoutMs: number;
  /** Until the request headers are in (slow-header clients). */
  headersTimeoutMs: number;
  /** Until the whole request is in (slow-body clients). */
  requestTimeoutMs: number;
  /** Idle socket between requests or mid-request. */
  idleTimeoutMs: number;
  /**
   * Sockets not yet shown to be an enrolled agent's (bare TCP, a handshake in progress, a
   * foreign certificate): capped per address and in all, the idlest evicted for a newcomer.
   */
  unauthenticated: ConnectionLimits;
}

export const DEFAULT_SITE_API_LIMITS: SiteApiLimits = {
  // A handshake takes milliseconds on a LAN; 3 s bounds what a silent socket can hold.
  maxBodyBytes: MAX_BODY_BYTES, handshakeTimeoutMs: 3_000, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, idleTimeoutMs: 30_000,
  unauthenticated: { perAddress: 8, total: 512 },
};

export interface SiteApiOptions {
  host: string;
  /** 0 = OS-assigned. */
  port: number;
  /** More names (DNS or IP) for the server certificate besides `host`. */
  serverNames?: string[];
  store: SiteStore;
  startRun: InBandRunStarter;
  log: Logger;
  limits?: Partial<SiteApiLimits>;
}

export interface SiteApi {
  url: string;
  host: string;
  port: number;
  /** The issuing CA chain agents trust the server by (what enrollment writes as site-ca.pem). */
  caChainPem: string[];
  /**
   * Stops accepting and closes idle connections; requests in progress get `graceMs` (default
   * 0) to finish before their connections are closed too.
   */
  close(graceMs?: number): Promise<void>;
}

const NOT_AN_AGENT = 'a client certificate issued by the site CA is required (amtprov agent enroll)';
const REVOKED_AGENT = 'this agent was revoked (amtprov agent enroll issues a new one)';
const ROUTES: Record<string, string> = { [API_PATHS.provisioningRoots]: 'GET', [API_PATHS.inBandRequests]: 'POST' };

interface RequestContext {
  agent: EnrolledAgentRecord;
  peer: string;
}

export async function startSiteApi(options: SiteApiOptions): Promise<SiteApi> {
  const { store, log } = options;
  const limits = { ...DEFAULT_SITE_API_LIMITS, ...options.limits };
  const issuer = await store.issuingCa.loadIssuer();
  const issuingCa = new X509Certificate(issuer.certPem);
  const credential = issueSiteServerCertificate(issuer, [options.host, ...(options.serverNames ?? [])]);

  /** The active enrolment behind a TLS peer: certificate rules first, then the agents table (binding, revocation). */
  const enrolledAgentOf = async (socket: TLSSocket): Promise<{ agent?: EnrolledAgentRecord; problem?: string; revoked?: boolean }> => {
    const certificate = socket.getPeerX509Certificate();
    const problem = agentCertificateProblem({ authorized: socket.authorized, authorizationError: socket.authorizationError, certificate }, issuingCa);
    if (problem) return { problem };
    const agent = await store.agents.bySerial(certificate!.serialNumber);
    if (!agent) return { problem: `certificate ${certificate!.serialNumber} (${agentNameOf(certificate!)}) is not an enrolment of this site (enrolled before agents were bound to computers?)` };
    if (agent.revokedAt) return { problem: `agent ${agent.name} was revoked at ${agent.revokedAt} by ${agent.revokedBy ?? 'unknown'}`, revoked: true };
    return { agent };
  };

  const provisioningRoots = async (): Promise<{ roots: ProvisioningRoot[] }> => ({
    roots: (await store.provisioningCertificates.list()).map((c) => ({ subjectCn: c.subjectCn, dnsSuffix: c.dnsSuffix, ...c.rootHashes })),
  });

  const acceptInBandRequest = async (req: http.IncomingMessage, context: RequestContext): Promise<InBandAccepted> => {
    const body = await readJsonBody(req, inBandRequestSchema, limits.maxBodyBytes);
    const { computer, discovered } = await recordInBandRequest(store, body, { ...context.agent, address: context.peer });
    let workflowId: string;
    try {
      workflowId = await options.startRun({ uuid: computer.uuid, hostname: computer.fqdn, address: context.peer, trustedRootHashes: body.trustedRootHashes });
    } catch (err) {
      log.error('in-band request recorded, but its run could not be started', { uuid: computer.uuid, error: err instanceof Error ? err.message : String(err) });
      throw new ApiError(503, 'the request was recorded but its provisioning run could not be started; try again');
    }
    log.info('in-band request accepted', { uuid: computer.uuid, fqdn: computer.fqdn, discovered, agent: context.agent.name, peer: context.peer, workflowId });
    return { workflowId, computer: { uuid: computer.uuid, netbiosName: computer.netbiosName, fqdn: computer.fqdn, discovered } };
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse, context: RequestContext): Promise<void> => {
    const path = new URL(req.url ?? '/', 'https://site').pathname;
    const allowed = ROUTES[path];
    if (!allowed) throw new ApiError(404, `no route ${path}`);
    if (req.method !== allowed) {
      sendJson(res, 405, { error: `${path} takes ${allowed}` }, { Allow: allowed });
      return;
    }
    if (path === API_PATHS.provisioningRoots) sendJson(res, 200, await provisioningRoots());
    else sendJson(res, 202, await acceptInBandRequest(req, context));
  };

  let closing = false;
  const server = https.createServer({
    key: credential.keyPem,
    cert: credential.certPem,
    ca: credential.caChainPem,
    // The handshake admits anyone, so an unauthenticated client gets a 401 it can read
    // rather than a TLS alert; the request handler decides who is an agent.
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    handshakeTimeout: limits.handshakeTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often Node checks the two timeouts above (default 30 s, too coarse for them).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  }, (req, res) => {
    // While draining, a keep-alive connection ends with the request it carries.
    if (closing) res.setHeader('Connection', 'close');
    const socket = req.socket as TLSSocket;
    const peer = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    let fields: Record<string, unknown> = { peer, method: req.method, path: req.url };
    const handle = async (): Promise<void> => {
      const enrolled = await enrolledAgentOf(socket);
      if (!enrolled.agent) {
        log.warn('request refused: not an enrolled agent', { ...fields, reason: enrolled.problem });
        sendJson(res, 401, { error: enrolled.revoked ? REVOKED_AGENT : NOT_AN_AGENT }, { Connection: 'close' });
        return;
      }
      fields = { agent: enrolled.agent.name, ...fields };
      await route(req, res, { agent: enrolled.agent, peer });
    };
    handle().catch((err: unknown) => {
      const refusal = err instanceof ApiError ? err : undefined;
      if (refusal) log.info('request refused', { ...fields, status: refusal.status, reason: refusal.message });
      else log.error('request failed', { ...fields, error: err instanceof Error ? err.message : String(err) });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A refused body may still be arriving: close instead of reading the rest.
      sendJson(res, refusal?.status ?? 500, { error: refusal?.message ?? 'internal error' }, { Connection: 'close' });
    });
  });
  server.timeout = limits.idleTimeoutMs;
  // Agents' sockets are not capped by the budget below; this backstop is well above it.
  server.maxConnections = limits.unauthenticated.total + 1_000;
  const refusals = new RateBoundedLog(log);
  const unauthenticated = new ConnectionBudget(limits.unauthenticated);
  const pending = new Map<string, TrackedConnection>();
  const socketKey = (socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string => `${socket.remoteAddress}:${socket.remotePort}`;
  server.on('connection', (socket: net.Socket) => {
    const key = socketKey(socket);
    const tracked: TrackedConnection = {
      peer: (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, ''),
      lastActivity: Date.now(),
      evict: (reason) => {
        forget();
        refusals.info(reason, 'connection evicted before it proved to be an agent', { peer: tracked.peer, reason });
        socket.destroy();
      },
    };
    const forget = (): void => {
      unauthenticated.release(tracked);
      pending.delete(key);
    };
    unauthenticated.admit(tracked);
    pending.set(key, tracked);
    socket.once('close', forget);
  });
  // An enrolled agent's socket leaves the budget once its handshake is done; others stay evictable.
  server.on('secureConnection', (socket: TLSSocket) => {
    const tracked = pending.get(socketKey(socket));
    if (!tracked) return;
    enrolledAgentOf(socket).then((enrolled) => {
      // The socket may have closed (and been forgotten) while the store answered.
      if (!enrolled.agent || pending.get(socketKey(socket)) !== tracked) return;
      unauthenticated.release(tracked);
      pending.delete(socketKey(socket));
    }, (err: unknown) => log.warn('agent lookup failed; the connection stays evictable', { peer: tracked.peer, error: err instanceof Error ? err.message : String(err) }));
  });
  server.on('tlsClientError', (err, socket) => {
    log.debug('TLS handshake failed', { peer: socket.remoteAddress, error: err.message });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(
      err.code === 'EADDRINUSE' ? new Error(`site API: ${options.host}:${options.port} is already in use`, { cause: err }) : err));
    server.listen({ host: options.host, port: options.port }, () => resolve());
  });
  const bound = server.address() as net.AddressInfo;
  // By the name it was asked to listen on: that name is in the server certificate.
  const url = `https://${options.host.includes(':') ? `[${options.host}]` : options.host}:${bound.port}`;
  log.info('site API ready', { url, certificate: credential.fingerprintSha256.slice(0, 16) });
  return {
    url,
    host: bound.address,
    port: bound.port,
    caChainPem: credential.caChainPem,
    close: (graceMs = 0) => new Promise<void>((resolve) => {
      closing = true;
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearTimeout(force);
        refusals.close();
        resolve();
      });
      server.closeIdleConnections();
    }),
  };
}
