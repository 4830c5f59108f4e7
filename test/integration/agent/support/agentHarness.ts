// Shared by the agent and in-band tests: a site store with the demo PKI, an enrolled agent's
// files in a temp dir (made by the real enrollment), the site API on a test address logging
// into the caller's lines, the agent run through its real command with captured output, and
// plain HTTPS requests for the API's refusals.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { runAgentCommand } from '../../../../src/cli/agent';
import { createLogger } from '../../../../src/log';
import { createDemoPki, type DemoPki } from '../../../../src/pki/demoPki';
import { registerDemoPki } from '../../../../src/pki/register';
import { parseKeyRing } from '../../../../src/secrets/keyFile';
import { enrollAgent } from '../../../../src/site/api/agentEnrollment';
import type { AgentBinding } from '../../../../src/site/api/apiCertificates';
import { startSiteApi, type SiteApi, type SiteApiLimits } from '../../../../src/site/api/siteApiServer';
import { inBandRunStarter } from '../../../../src/site/api/startInBandRun';
import { openSiteStore, type SiteStore } from '../../../../src/site/store';

export interface AgentFiles {
  cert: string;
  key: string;
  ca: string;
  cleanup(): void;
}

/** An agent enrolled for `computer` (default: the FQDN `<name>.amt.test`, UUID bound by its first request). */
export async function enrollTestAgent(store: SiteStore, name: string, computer: AgentBinding = { fqdn: `${name}.amt.test` }): Promise<AgentFiles> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-agent-'));
  const enrolled = await enrollAgent(store, name, dir, { actor: 'test', computer });
  return { cert: enrolled.certFile, key: enrolled.keyFile, ca: enrolled.caFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface AgentRun {
  code: number;
  stdout: string[];
  stderr: string[];
}

export interface AgentTarget {
  socket: string;
  site: string;
  files: Pick<AgentFiles, 'cert' | 'key' | 'ca'>;
  localAddress: string;
  hostName: string;
  domain?: string;
  retryFor?: number;
}

export async function runAgent(target: AgentTarget, extra: string[] = []): Promise<AgentRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runAgentCommand([
    '--device-socket', target.socket, '--site', target.site, '--cert', target.files.cert, '--key', target.files.key, '--ca', target.files.ca,
    '--local-address', target.localAddress, '--host-name', target.hostName, '--domain', target.domain ?? 'amt.test',
    '--retry-for', String(target.retryFor ?? 5), ...extra,
  ], { out: (line) => stdout.push(line), err: (line) => stderr.push(line) });
  return { code, stdout, stderr };
}

export function startTestSiteApi(options: {
  store: SiteStore; client: Client; taskQueue: string; host: string; port?: number; logs: string[]; limits?: Partial<SiteApiLimits>;
}): Promise<SiteApi> {
  return startSiteApi({
    host: options.host, port: options.port ?? 0, store: options.store, startRun: inBandRunStarter(options.client, options.taskQueue),
    log: createLogger('site-api', { level: 'debug', sink: (line) => options.logs.push(line) }),
    ...(options.limits ? { limits: options.limits } : {}),
  });
}

export interface TestSite {
  store: SiteStore;
  pki: DemoPki;
  /** SQLite file and master key ring, for commands that open the store themselves (--db, AMTPROV_MASTER_KEY). */
  dbFile: string;
  masterKeyRing: string;
  close(): Promise<void>;
}

/** A site store on a temp SQLite file with the demo PKI registered (provisioning certificate, issuing CA). */
export async function openTestSite(): Promise<TestSite> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-site-'));
  const dbFile = path.join(dir, 'site.sqlite');
  const masterKeyRing = `t:${randomBytes(32).toString('base64')}`;
  const store = await openSiteStore({ location: dbFile, keyRing: parseKeyRing(masterKeyRing, 'test') });
  const pki = createDemoPki({ domain: 'amt.test' });
  await registerDemoPki(store, pki, 'test');
  return {
    store, pki, dbFile, masterKeyRing,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpsAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** One HTTPS request as any client might send it (with or without a client certificate). */
export function httpsRequest(url: string, options: {
  method?: string; path: string; body?: string | Buffer; headers?: Record<string, string>;
  cert?: string; key?: string; ca: string; localAddress?: string;
}): Promise<HttpsAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: target.hostname, port: target.port, method: options.method ?? 'GET', path: options.path, agent: false, ca: options.ca,
      ...(options.cert ? { cert: options.cert, key: options.key } : {}),
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      headers: { ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) as Record<string, unknown> : undefined });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
