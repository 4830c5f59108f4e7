// Loads and validates temporal-dev.yaml, the embedded stack's Temporal for both profiles (the
// dev server of `npm start`, the real server of `npm run cluster`): ports, namespace and dynamic
// config, the search attributes every deployment declares, the cluster profile's shards and
// ports, and (environment.ts) the Temporal address operator commands use when TEMPORAL_ADDRESS is unset.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { projectRoot } from './paths';

const port = z.number().int().min(1).max(65535);
const searchAttributeType = z.enum(['Text', 'Keyword', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList']);

const schema = z.strictObject({
  server: z.strictObject({
    ip: z.ipv4(),
    port,
    uiPort: port,
    uiCodecPort: port,
    namespace: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, 'a Temporal namespace name'),
    dbFile: z.string().min(1),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']),
    logFormat: z.enum(['pretty', 'json']),
    // The dev server's SQLite (`temporal server start-dev --sqlite-pragma`); the cluster profile has PostgreSQL.
    sqlitePragmas: z.partialRecord(z.enum(['journal_mode', 'synchronous', 'busy_timeout', 'cache_size']), z.union([z.string().regex(/^[A-Za-z0-9-]+$/), z.number().int()])).default({}),
  }),
  searchAttributes: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an identifier'), searchAttributeType),
  dynamicConfig: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.]*$/, 'a dotted identifier'),
    z.union([z.string(), z.number(), z.boolean()])).default({}),
  // `npm run cluster`: the real server on server.ip / server.port / server.uiPort, with these.
  cluster: z.strictObject({
    historyShards: z.number().int().min(1).max(16384).default(16),
    postgresPort: port.default(5433),
    metricsPort: port.default(9470),
  }).prefault({}),
});

export type DevStackConfig = z.infer<typeof schema>;

/** The search attributes every deployment must have; a config missing one is refused. */
export const REQUIRED_SEARCH_ATTRIBUTES = ['AmtUuid', 'AmtHostname', 'ProvisioningMode', 'ProvisioningStage', 'AmtStatus'] as const;

export function defaultDevStackConfigPath(): string {
  return path.join(projectRoot(), 'temporal-dev.yaml');
}

/** Parses and validates; errors name the file and every offending key. */
export function parseDevStackConfig(text: string, source: string): DevStackConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(top level)';
      const unknown = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((k) => `"${[...issue.path, k].join('.')}"`).join(', ')}` : undefined;
      return unknown ?? `${key}: ${issue.message}`;
    });
    throw new Error(`${source}: invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const config = result.data;
  const missing = REQUIRED_SEARCH_ATTRIBUTES.filter((name) => config.searchAttributes[name] !== 'Keyword');
  if (missing.length > 0) {
    throw new Error(`${source}: searchAttributes must declare ${missing.join(', ')} as Keyword`);
  }
  const ports = [config.server.port, config.server.uiPort, config.server.uiCodecPort, config.cluster.postgresPort, config.cluster.metricsPort];
  if (new Set(ports).size !== ports.length) {
    throw new Error(`${source}: server.port, server.uiPort, server.uiCodecPort, cluster.postgresPort and cluster.metricsPort must all differ (${ports.join(', ')})`);
  }
  return config;
}

export function loadDevStackConfig(file = defaultDevStackConfigPath()): DevStackConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  return parseDevStackConfig(text, file);
}
