// A PostgreSQL server of our own on this machine, from Debian's binaries: the site store's
// second backend in tests, and the Temporal server's persistence in the cluster profile.
// Production points at a managed PostgreSQL instead (docs/deploy.md); this is the dev shape.
//
// The cluster lives in `<dir>/pgdata` (reused when it exists, so the cluster profile keeps
// its data) and listens on TCP only (no Unix socket: paths under a checkout can exceed the
// socket path limit). The superuser authenticates with SCRAM and a generated password kept
// in `<dir>/superuser.password` (mode 0600), so even loopback clients need credentials.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { postgresBinDir } from '../config/environment';
import { freePort, waitForTcp } from '../net/ports';

const run = promisify(execFile);

/** Debian's PostgreSQL 15 (`apt-get install postgresql`); AMTPROV_PG_BIN overrides (src/config). */
export { postgresBinDir };

export interface PostgresOptions {
  /** Holds `pgdata/` and the superuser password; created if missing. */
  dir: string;
  host?: string;
  /** Default: a free port (tests); the cluster profile passes a fixed one. */
  port?: number;
  /** postgresql.conf max_connections; the Temporal server's pools need ~60 at 16 shards. */
  maxConnections?: number;
}

export interface RunningPostgres {
  host: string;
  port: number;
  /** postgres://postgres:<pw>@host:port/<db> (default db "postgres"). */
  superuserUrl(db?: string): string;
  /** Creates the database if missing and returns its superuser URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const START_TIMEOUT_MS = 30_000;

export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  if (!existsSync(path.join(bin, 'postgres'))) {
    throw new Error(`PostgreSQL binaries not found in ${bin}: install Debian's "postgresql" package (apt-get install postgresql) or set AMTPROV_PG_BIN`);
  }
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const dir = path.resolve(options.dir);
  const dataDir = path.join(dir, 'pgdata');
  const passwordFile = path.join(dir, 'superuser.password');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const asServer = serverAccount(dir);

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const password = randomBytes(18).toString('base64url');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    asServer.own(passwordFile);
    await asServer.run(path.join(bin, 'initdb'), ['-D', dataDir, '-U', SUPERUSER, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--no-instructions']);
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const logFile = path.join(dir, 'postgres.log');
  const settings = [
    '-c', `listen_addresses=${host}`, '-c', `port=${port}`, '-c', "unix_socket_directories=''",
    '-c', `max_connections=${options.maxConnections ?? 200}`,
  ];
  // pg_ctl detaches the server and returns once it accepts connections (-w).
  await asServer.run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', String(START_TIMEOUT_MS / 1000), '-o', settings.map(quoteOption).join(' '), 'start']);
  await waitForTcp(host, port, START_TIMEOUT_MS);

  const superuserUrl = (db = 'postgres'): string =>
    `postgres://${SUPERUSER}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(db)}`;
  const psql = async (sql: string): Promise<string> => {
    const { stdout } = await run(path.join(bin, 'psql'), ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-h', host, '-p', String(port), '-U', SUPERUSER, '-d', 'postgres', '-c', sql], {
      env: { ...process.env, PGPASSWORD: password },
    });
    return stdout.trim();
  };
  return {
    host,
    port,
    superuserUrl,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name "${name}" must be lower-case letters, digits and _`);
      const exists = await psql(`SELECT 1 FROM pg_database WHERE datname = '${name}'`);
      if (exists !== '1') await psql(`CREATE DATABASE ${name}`);
      return superuserUrl(name);
    },
    async stop() {
      await asServer.run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    },
  };
}

function quoteOption(value: string): string {
  return /^[\w=.,:'-]+$/.test(value) ? value : `"${value.replace(/"/g, '\\"')}"`;
}

/**
 * PostgreSQL refuses to run as root. As root (CI, this dev machine) the server runs as the
 * `postgres` account Debian's package creates: its directory is handed to that account and
 * every ancestor must let it pass (execute bit only: nothing becomes listable or readable).
 */
function serverAccount(dir: string): { run(file: string, args: string[]): Promise<void>; own(file: string): void } {
  if (process.getuid?.() !== 0) {
    return { run: async (file, args) => void (await run(file, args)), own: () => undefined };
  }
  const { uid, gid } = postgresAccount();
  chownSync(dir, uid, gid);
  for (let parent = path.dirname(dir); parent !== path.dirname(parent); parent = path.dirname(parent)) {
    const mode = statSync(parent).mode;
    if ((mode & 0o001) === 0) chmodSync(parent, mode | 0o001);
  }
  return {
    run: (file, args) => runAs('postgres', file, args),
    own: (file) => chownSync(file, uid, gid),
  };
}

function postgresAccount(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root needs the "postgres" account (created by Debian\'s postgresql package)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function runAs(user: string, file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('runuser', ['-u', user, '--', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(file)} ${args.at(-1) ?? ''} failed (exit ${code}): ${output.trim().slice(-2000)}`));
    });
  });
}
