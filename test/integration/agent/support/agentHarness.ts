// Shared by the agent and in-band tests: an enrolled agent's files in a temp dir (made by the
// real enrollment), the site API on a test address logging into the caller's lines, and the
// agent run through its real command with captured output.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { runAgentCommand } from '../../../../src/cli/agent';
import { createLogger } from '../../../../src/log';
import { enrollAgent } from '../../../../src/site/api/agentEnrollment';
import { startSiteApi, type SiteApi, type SiteApiLimits } from '../../../../src/site/api/siteApiServer';
import { inBandRunStarter } from '../../../../src/site/api/startInBandRun';
import type { SiteStore } from '../../../../src/site/store';

export interface AgentFiles {
  cert: string;
  key: string;
  ca: string;
  cleanup(): void;
}

export function enrollTestAgent(store: SiteStore, name: string): AgentFiles {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'amtprov-agent-'));
  const enrolled = enrollAgent(store, name, dir, { actor: 'test' });
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
