// Parses and validates the product's environment (the variables in variables.ts). Each part
// has its reader, used where it is needed; loadConfig reads them all and reports every
// problem at once, which is what a role does before it starts and `amtprov config` prints.
// An empty value counts as unset (systemd EnvironmentFile lines like `TEMPORAL_API_KEY=`).
import path from 'node:path';
import { z } from 'zod';
import { dataDir } from './paths';
import { loadDevStackConfig, defaultDevStackConfigPath } from './temporalDev';
import { ConfigError, variableProblem, VARIABLES, type Role, type VariableName } from './variables';

type Env = NodeJS.ProcessEnv;

export interface HostPort {
  host: string;
  port: number;
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  /** mTLS client certificate and key (PEM files). */
  clientCert?: { certFile: string; keyFile: string };
  caFile?: string;
  apiKey?: string;
}

/** Where a key ring (or the codec endpoint's token list) comes from: the variable itself, or a file (given, or the default one made on first use). */
export interface KeyRingVariables {
  variable: 'AMTPROV_CODEC_KEY' | 'AMTPROV_MASTER_KEY' | 'AMTPROV_CODEC_TOKEN';
  inline?: string;
  file: string;
  /** The file was named by `<variable>_FILE`, so it must exist (a default file is made). */
  fileGiven: boolean;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Default ports (loopback) of each role's /metrics + health endpoint, distinct so roles can
 * share a host. `npm start` is one process and serves everything on the worker's port. 9464
 * is the port OpenTelemetry's Prometheus exporter uses by default; the others follow it.
 */
export const METRICS_PORTS = { worker: 9464, siteServer: 9465, listener: 9466 } as const;

function raw(env: Env, name: VariableName): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The variable through `schema`; a bad value is a ConfigError naming it. */
function read<T>(env: Env, name: VariableName, schema: z.ZodType<T>): T {
  const value = raw(env, name);
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(result.error.issues.map((issue) => variableProblem(name, value, issue.message)));
  return result.data;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

/** `host:port` or `[v6]:port`, port 0-65535 (0 = any free port); undefined when it is not one. */
export function parseHostPort(value: string): HostPort | undefined {
  const match = HOST_PORT.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) return undefined;
  return { host: match[1] ?? match[2], port };
}

const hostPortSchema = z.string().transform((value, ctx) => {
  const parsed = parseHostPort(value);
  if (!parsed) ctx.addIssue({ code: 'custom', message: 'must be host:port (port 0-65535)' });
  return parsed ?? { host: '', port: 0 };
});

/** A listen address flag: `host:port`, or an error naming the flag. */
export function parseListen(value: string, flag: string): HostPort {
  const parsed = parseHostPort(value);
  if (!parsed) throw new Error(`${flag} must be host:port, got "${value}"`);
  return parsed;
}

export function helloListen(env: Env = process.env): HostPort {
  return read(env, 'AMTPROV_HELLO_LISTEN', hostPortSchema.optional()) ?? { host: '127.0.0.1', port: 9971 };
}

export function siteApiListen(env: Env = process.env): HostPort {
  return read(env, 'AMTPROV_SITE_API_LISTEN', hostPortSchema.optional()) ?? { host: '127.0.0.1', port: 9443 };
}

/** The role's /metrics + health endpoint (undefined = off). */
export function metricsListen(defaultPort: number, env: Env = process.env): HostPort | undefined {
  const value = raw(env, 'AMTPROV_METRICS_LISTEN');
  if (value === undefined) return { host: '127.0.0.1', port: defaultPort };
  if (value === '0') return undefined;
  return read(env, 'AMTPROV_METRICS_LISTEN', hostPortSchema);
}

export function shutdownGraceSeconds(env: Env = process.env): number {
  return read(env, 'AMTPROV_SHUTDOWN_GRACE', z.coerce.number({ message: 'must be a number of seconds' })
    .int('must be whole seconds').min(0, 'must be 0 or more').max(3600, 'must be at most 3600 (an hour)').optional()) ?? 30;
}

/** Bound LDAPS connections a worker keeps to the DC (src/directory/directoryConnections.ts says why 8). */
export function directoryPoolSize(env: Env = process.env): number {
  return read(env, 'AMTPROV_DIRECTORY_POOL', z.coerce.number({ message: 'must be a number of connections' })
    .int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').optional()) ?? 8;
}

export function logLevel(env: Env = process.env): LogLevel {
  return read(env, 'AMTPROV_LOG_LEVEL', z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).optional()) ?? 'info';
}

export function operatorName(env: Env = process.env): string | undefined {
  return raw(env, 'AMTPROV_OPERATOR');
}

export function temporalCliPath(env: Env = process.env): string | undefined {
  return raw(env, 'TEMPORAL_CLI_PATH');
}

export function postgresBinDir(env: Env = process.env): string {
  return raw(env, 'AMTPROV_PG_BIN') ?? '/usr/lib/postgresql/15/bin';
}

function devStackDefaults(): ReturnType<typeof loadDevStackConfig> {
  try {
    return loadDevStackConfig();
  } catch (err) {
    throw new ConfigError([variableProblem('TEMPORAL_ADDRESS', undefined, `unset, and its default cannot be read: ${(err as Error).message}`)]);
  }
}

const namespaceSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, 'must be a Temporal namespace name');

/**
 * TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE: a cluster when set; else the dev server
 * temporal-dev.yaml describes, so operator commands next to `npm start` need no environment.
 */
function temporalTarget(env: Env): Pick<TemporalConfig, 'address' | 'namespace'> {
  const problems: string[] = [];
  const part = <T>(fn: () => T): T | undefined => collect(problems, fn);
  // Validated as host:port, passed on as written (a DNS name stays a name for the SDK to resolve).
  let address = part(() => read(env, 'TEMPORAL_ADDRESS', hostPortSchema.optional())) ? raw(env, 'TEMPORAL_ADDRESS') : undefined;
  let namespace = part(() => read(env, 'TEMPORAL_NAMESPACE', namespaceSchema.optional()));
  if (!raw(env, 'TEMPORAL_ADDRESS') || !raw(env, 'TEMPORAL_NAMESPACE')) {
    const dev = part(() => devStackDefaults());
    address ??= dev && `${dev.server.ip}:${dev.server.port}`;
    namespace ??= dev?.server.namespace;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { address: address!, namespace: namespace! };
}

/** TEMPORAL_TLS_* and TEMPORAL_API_KEY: mTLS (certificate and key together) or an API key, a CA with either. */
function temporalCredentials(env: Env): Omit<TemporalConfig, 'address' | 'namespace'> {
  const certFile = raw(env, 'TEMPORAL_TLS_CERT');
  const keyFile = raw(env, 'TEMPORAL_TLS_KEY');
  const caFile = raw(env, 'TEMPORAL_TLS_CA');
  const apiKey = raw(env, 'TEMPORAL_API_KEY');
  const problems: string[] = [];
  if (certFile && !keyFile) problems.push(variableProblem('TEMPORAL_TLS_KEY', undefined, 'must be set with TEMPORAL_TLS_CERT'));
  if (keyFile && !certFile) problems.push(variableProblem('TEMPORAL_TLS_CERT', undefined, 'must be set with TEMPORAL_TLS_KEY'));
  if (apiKey && (certFile || keyFile)) {
    problems.push(variableProblem('TEMPORAL_API_KEY', apiKey, 'set either it or TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY, not both'));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...(certFile && keyFile ? { clientCert: { certFile, keyFile } } : {}),
    ...(caFile ? { caFile } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** Every TEMPORAL_* variable: where Temporal is and how to authenticate to it. */
export function temporalConfig(env: Env = process.env): TemporalConfig {
  const problems: string[] = [];
  const target = collect(problems, () => temporalTarget(env));
  const credentials = collect(problems, () => temporalCredentials(env));
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...target!, ...credentials! };
}

/** `<variable>` (the ring), `<variable>_FILE`, or `defaultFile`; both set is an error (which one would win is a guess). */
export function keyRingVariables(variable: KeyRingVariables['variable'], defaultFile: string, env: Env = process.env): KeyRingVariables {
  const inline = raw(env, variable);
  const fileVariable = `${variable}_FILE` as const;
  const file = raw(env, fileVariable);
  if (inline && file) throw new ConfigError([variableProblem(variable, inline, `set either it or ${fileVariable}, not both`)]);
  if (inline) return { variable, inline, file: defaultFile, fileGiven: false };
  return { variable, file: path.resolve(file ?? defaultFile), fileGiven: file !== undefined };
}

export function codecKeyVariables(env: Env = process.env): KeyRingVariables {
  return keyRingVariables('AMTPROV_CODEC_KEY', path.join(dataDir(env), 'keys', 'codec.key'), env);
}

export function codecTokenVariables(env: Env = process.env): KeyRingVariables {
  return keyRingVariables('AMTPROV_CODEC_TOKEN', path.join(dataDir(env), 'keys', 'codec-token'), env);
}

export interface CodecOidc {
  issuer: string;
  audience: string;
  jwksUrl: string;
}

const OIDC_VARIABLES = ['AMTPROV_CODEC_OIDC_ISSUER', 'AMTPROV_CODEC_OIDC_AUDIENCE', 'AMTPROV_CODEC_OIDC_JWKS_URL'] as const;

/** The codec endpoint's OIDC settings: all three variables or none (half a configuration is an error, not an open door). */
export function codecOidc(env: Env = process.env): CodecOidc | undefined {
  const [issuer, audience, jwksUrl] = OIDC_VARIABLES.map((name) => raw(env, name));
  if (!issuer && !audience && !jwksUrl) return undefined;
  const problems = OIDC_VARIABLES.filter((name) => !raw(env, name)).map((name) => variableProblem(name, undefined, 'must be set with the other two codec OIDC variables (issuer, audience, JWKS URL)'));
  if (jwksUrl && !/^https:\/\//.test(jwksUrl) && !/^http:\/\/(127\.|localhost[:/])/.test(jwksUrl)) {
    problems.push(variableProblem('AMTPROV_CODEC_OIDC_JWKS_URL', jwksUrl, 'must be https; keys fetched in clear could be swapped'));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { issuer: issuer!, audience: audience!, jwksUrl: jwksUrl! };
}

export function masterKeyVariables(env: Env = process.env): KeyRingVariables {
  return keyRingVariables('AMTPROV_MASTER_KEY', path.join(dataDir(env), 'keys', 'master.key'), env);
}

function collect<T>(problems: string[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    return undefined;
  }
}

/** A database URL with its password hidden (a postgres:// URL may carry one). */
function withoutPassword(value: string): string {
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}

const shown = (address: HostPort | undefined): string => (address ? `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}` : 'off');

/** The effective value of each variable as `amtprov config` shows it; secrets only as set/unset. */
const EFFECTIVE: Record<VariableName, (env: Env, role: Role) => string> = {
  TEMPORAL_ADDRESS: (env) => {
    const { address } = temporalTarget(env);
    return raw(env, 'TEMPORAL_ADDRESS') ? address : `${address} (from ${defaultDevStackConfigPath()})`;
  },
  TEMPORAL_NAMESPACE: (env) => temporalTarget(env).namespace,
  // The credentials are checked together, here; each is shown as given.
  TEMPORAL_TLS_CERT: (env) => {
    temporalCredentials(env);
    return raw(env, 'TEMPORAL_TLS_CERT') ?? 'unset';
  },
  TEMPORAL_TLS_KEY: (env) => raw(env, 'TEMPORAL_TLS_KEY') ?? 'unset',
  TEMPORAL_TLS_CA: (env) => raw(env, 'TEMPORAL_TLS_CA') ?? 'unset (system roots)',
  TEMPORAL_API_KEY: (env) => (raw(env, 'TEMPORAL_API_KEY') ? 'set' : 'unset'),
  AMTPROV_DATA_DIR: (env) => dataDir(env),
  AMTPROV_SITE_DB: (env) => withoutPassword(raw(env, 'AMTPROV_SITE_DB') ?? path.join(dataDir(env), 'site.sqlite')),
  AMTPROV_SITE_DB_POOL: (env) => raw(env, 'AMTPROV_SITE_DB_POOL') ?? 'unset (the store\'s default)',
  AMTPROV_SITE_DB_CA: (env) => raw(env, 'AMTPROV_SITE_DB_CA') ?? 'unset',
  AMTPROV_DIRECTORY_POOL: (env) => `${directoryPoolSize(env)}`,
  AMTPROV_MASTER_KEY: (env) => (masterKeyVariables(env).inline ? 'set' : 'unset'),
  AMTPROV_MASTER_KEY_FILE: (env) => keyFileShown(masterKeyVariables(env)),
  AMTPROV_CODEC_KEY: (env) => (codecKeyVariables(env).inline ? 'set' : 'unset'),
  AMTPROV_CODEC_KEY_FILE: (env) => keyFileShown(codecKeyVariables(env)),
  AMTPROV_CODEC_TOKEN: (env) => (codecTokenVariables(env).inline ? 'set' : 'unset'),
  AMTPROV_CODEC_TOKEN_FILE: (env) => keyFileShown(codecTokenVariables(env)),
  AMTPROV_CODEC_OIDC_ISSUER: (env) => codecOidc(env)?.issuer ?? 'unset',
  AMTPROV_CODEC_OIDC_AUDIENCE: (env) => codecOidc(env)?.audience ?? 'unset',
  AMTPROV_CODEC_OIDC_JWKS_URL: (env) => codecOidc(env)?.jwksUrl ?? 'unset',
  AMTPROV_HELLO_LISTEN: (env) => shown(helloListen(env)),
  AMTPROV_SITE_API_LISTEN: (env) => shown(siteApiListen(env)),
  AMTPROV_METRICS_LISTEN: (env, role) => shown(metricsListen(roleMetricsPort(role), env)),
  AMTPROV_SHUTDOWN_GRACE: (env) => `${shutdownGraceSeconds(env)} s`,
  AMTPROV_LOG_LEVEL: (env) => logLevel(env),
  AMTPROV_OPERATOR: (env) => operatorName(env) ?? 'unset (the login name)',
  TEMPORAL_CLI_PATH: (env) => temporalCliPath(env) ?? 'unset',
  AMTPROV_PG_BIN: (env) => postgresBinDir(env),
};

function keyFileShown(ring: KeyRingVariables): string {
  return ring.inline ? `unused (${ring.variable} is set)` : `${ring.file}${ring.fileGiven ? '' : ' (default)'}`;
}

/** The /metrics + health port a role serves on by default (`npm start` uses the worker's). */
export function roleMetricsPort(role: Role): number {
  return role === 'listener' ? METRICS_PORTS.listener : role === 'site-server' ? METRICS_PORTS.siteServer : METRICS_PORTS.worker;
}

export interface EffectiveVariable {
  name: VariableName;
  value: string;
  problems: string[];
}

/**
 * Every variable `role` reads (every variable without one), with its effective value, or
 * `invalid` and the problems that name it (a check of several variables, like the Temporal
 * credentials, files each problem under the variable it names).
 */
export function describeConfig(role: Role | undefined, env: Env = process.env): EffectiveVariable[] {
  const names = (Object.keys(VARIABLES) as VariableName[])
    .filter((name) => role === undefined || (VARIABLES[name].roles as readonly Role[]).includes(role));
  const problems = new Set<string>();
  const values = names.map((name) => {
    const found: string[] = [];
    const value = collect(found, () => EFFECTIVE[name](env, role ?? 'worker'));
    found.forEach((p) => problems.add(p));
    return value;
  });
  return names.map((name, i) => {
    const own = [...problems].filter((p) => p.startsWith(`${name} (`));
    return { name, value: own.length > 0 ? 'invalid' : values[i] ?? raw(env, name) ?? 'unset', problems: own };
  });
}

/** Before a role starts: every problem with the variables it reads, in one ConfigError. */
export function checkConfig(role: Role, env: Env = process.env): void {
  const problems = describeConfig(role, env).flatMap((v) => v.problems);
  if (problems.length > 0) throw new ConfigError(problems);
}
