// `amtprov agent`: the in-band client agent (runs on the AMT computer's host OS), and
// `amtprov agent enroll`: the site operator's command that registers one.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_RETRY_POLICY } from '../agent/backoff';
import { AGENT_EXIT, AgentRefusal } from '../agent/refusals';
import { requestInBandProvisioning, type AgentOptions } from '../agent/requestInBandProvisioning';
import { createLogger } from '../log';
import { enrollAgent } from '../site/api/agentEnrollment';
import { checkAgentName } from '../site/api/apiCertificates';
import type { SiteStore } from '../site/store';
import { findComputer } from './operatorClient';
import { operatorActor, processIo, withStore, type CliIo } from './support';

export const AGENT_USAGE = `usage: amtprov agent --device-socket <path> --site https://<host>:<port> --cert <file> --key <file> --ca <file> [options]
       amtprov agent enroll <name> --computer <fqdn> [--uuid <uuid>] --out <dir> [--force] [--db <site.sqlite>]
       amtprov agent revoke <name> [--db <site.sqlite>]
       amtprov agent list [--db <site.sqlite>]
       amtprov agent clear-in-band <uuid or name> [--db <site.sqlite>]

The in-band client agent (docs/amt-protocol.md section 7), run on the AMT computer's host OS:
checks the HECI driver and the firmware's state, checks that one of the site's provisioning
roots is among the firmware's trusted hashes, sets a fresh one-time password in the firmware,
registers its SHA-256 hash with the site server (which starts the device's provisioning run
in in-band mode), and starts the firmware's network interface. The OTP and its hash are never
printed or logged.

Options:
  --device-socket <path>  the host interface (the emulator's <state-dir>/<uuid>.sock)
  --site <url>            the site server API, https://host:port
  --cert, --key <file>    this agent's certificate and key (from "amtprov agent enroll")
  --ca <file>             the site CA chain the server is verified by (site-ca.pem)
  --local-address <ip>    send from this address: the device's, which host OS and AMT share
                          (default: the OS chooses; with the emulator, the device's 127.0.x.y)
  --host-name <name>      host name to register (default: this host's name, first label)
  --domain <domain>       DNS domain to register (default: the rest of this host's name)
  --retry-for <seconds>   keep retrying an unreachable site server this long (default ${DEFAULT_RETRY_POLICY.totalMs / 1000})
  --request-timeout <s>   per-request timeout (default 15)
  -h, --help              this text

enroll: issues <name> a client certificate from the site's issuing CA, bound to one
computer, and writes agent.key.pem, agent.cert.pem and site-ca.pem (0600) to --out;
recorded in the agents table and the audit log. The agent may ask only for --computer (its
FQDN); its UUID is bound by --uuid, or else by its first accepted request. A known computer
with another FQDN is renamed by its agent only when enrolled with --uuid. Anything else is
refused 403 and recorded as a security event.
revoke: every enrolment under <name> is refused (401) from its next request on.
list: enrolments with their binding and state.
clear-in-band: the computer is out-of-band managed again (its Hellos are accepted).

Exit codes:
  ${AGENT_EXIT.ok}  requested: the site accepted the request and the network interface is started
  ${AGENT_EXIT.internalError}  unexpected error
  ${AGENT_EXIT.badArguments}  bad arguments (or an unreadable --cert/--key/--ca, or a --local-address not on this host)
  ${AGENT_EXIT.noHeciDriver}  no HECI driver (the host interface is absent or unusable)
  ${AGENT_EXIT.rootNotTrusted}  none of the site's provisioning roots is trusted by the firmware
  ${AGENT_EXIT.alreadyProvisioned}  the firmware is already provisioned
  ${AGENT_EXIT.siteUnreachable}  the site server stayed unreachable for --retry-for seconds
  ${AGENT_EXIT.credentialsRejected}  credentials rejected (the site refused our certificate, or we refused the site's)
  ${AGENT_EXIT.siteRefused}  the site server refused the request (e.g. host name taken)
  ${AGENT_EXIT.firmwareRefused}  the firmware refused a command
`;

class BadArguments extends Error {}

function positiveSeconds(flag: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const seconds = Number(value);
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new BadArguments(`${flag} must be a positive number of seconds, got "${value}"`);
  return seconds * 1000;
}

function readPem(flag: string, file: string | undefined): string {
  if (!file) throw new BadArguments(`${flag} is required`);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new BadArguments(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** This host's name split into host label and domain, as the registration defaults. */
function hostIdentity(): { hostName: string; domain: string | undefined } {
  const [hostName, ...domain] = os.hostname().split('.');
  return { hostName, domain: domain.length > 0 ? domain.join('.') : undefined };
}

export function parseAgentArguments(argv: string[], logSink: (line: string) => void): AgentOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        'device-socket': { type: 'string' }, site: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, ca: { type: 'string' },
        'local-address': { type: 'string' }, 'host-name': { type: 'string' }, domain: { type: 'string' },
        'retry-for': { type: 'string' }, 'request-timeout': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new BadArguments((err as Error).message);
  }
  if (values.help) return 'help';
  if (!values['device-socket']) throw new BadArguments('--device-socket is required');
  if (!values.site) throw new BadArguments('--site is required');
  if (!/^https:\/\/[^/]+\/?$/.test(values.site)) throw new BadArguments(`--site must be https://host:port, got "${values.site}"`);
  const defaults = hostIdentity();
  const domain = values.domain ?? defaults.domain;
  if (!domain) throw new BadArguments(`--domain is required: this host's name "${os.hostname()}" has no DNS domain`);
  return {
    deviceSocket: values['device-socket'],
    siteUrl: values.site,
    credentials: { certPem: readPem('--cert', values.cert), keyPem: readPem('--key', values.key), caPem: readPem('--ca', values.ca) },
    ...(values['local-address'] ? { localAddress: values['local-address'] } : {}),
    hostName: values['host-name'] ?? defaults.hostName,
    domain,
    retry: { ...DEFAULT_RETRY_POLICY, totalMs: positiveSeconds('--retry-for', values['retry-for'], DEFAULT_RETRY_POLICY.totalMs) },
    requestTimeoutMs: positiveSeconds('--request-timeout', values['request-timeout'], 15_000),
    log: createLogger('agent', { sink: logSink }),
  };
}

async function enrollCommand(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { out: { type: 'string' }, computer: { type: 'string' }, uuid: { type: 'string' }, force: { type: 'boolean' }, db: { type: 'string' } },
    });
  } catch (err) {
    io.err(`amtprov agent enroll: ${(err as Error).message}`);
    return AGENT_EXIT.badArguments;
  }
  const [name, ...extra] = parsed.positionals;
  const problem = name === undefined ? 'an agent name is required' : extra.length > 0 ? `unexpected argument "${extra[0]}"` : checkAgentName(name);
  const missing = !parsed.values.out ? '--out <dir> is required' : !parsed.values.computer ? '--computer <fqdn> is required: an agent speaks for one computer' : undefined;
  if (problem || missing) {
    io.err(`amtprov agent enroll: ${problem ?? missing}`);
    return AGENT_EXIT.badArguments;
  }
  const out = parsed.values.out!;
  const computer = { fqdn: parsed.values.computer!, ...(parsed.values.uuid ? { uuid: parsed.values.uuid } : {}) };
  return withStore(parsed.values.db, async (store) => {
    try {
      const enrolled = await enrollAgent(store, name, out, { actor: operatorActor(), computer, force: parsed.values.force === true });
      io.out(`enrolled agent ${enrolled.name} for ${computer.fqdn.toLowerCase()}${computer.uuid ? ` (${computer.uuid})` : ''} (certificate sha256 ${enrolled.fingerprintSha256}, valid until ${enrolled.notAfter.toISOString()})`);
      io.out(`  ${enrolled.certFile}\n  ${enrolled.keyFile}\n  ${enrolled.caFile}`);
      return AGENT_EXIT.ok;
    } catch (err) {
      io.err(`amtprov agent enroll: ${(err as Error).message}`);
      return AGENT_EXIT.internalError;
    }
  });
}

/** The site-side subcommands that take one positional argument and --db. */
async function siteCommand(sub: string, argv: string[], io: CliIo, run: (store: SiteStore, arg: string) => Promise<string>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { db: { type: 'string' } } });
  } catch (err) {
    io.err(`amtprov agent ${sub}: ${(err as Error).message}`);
    return AGENT_EXIT.badArguments;
  }
  const wanted = sub === 'list' ? 0 : 1;
  if (parsed.positionals.length !== wanted) {
    io.err(`amtprov agent ${sub}: ${wanted === 0 ? 'takes no argument' : 'expected one argument'}; see "amtprov agent --help".`);
    return AGENT_EXIT.badArguments;
  }
  return withStore(parsed.values.db, async (store) => {
    try {
      io.out(await run(store, parsed.positionals[0] ?? ''));
      return AGENT_EXIT.ok;
    } catch (err) {
      io.err(`amtprov agent ${sub}: ${(err as Error).message}`);
      return AGENT_EXIT.internalError;
    }
  });
}

async function revokeAgent(store: SiteStore, name: string): Promise<string> {
  const actor = operatorActor();
  const revoked = await store.transaction(async (tx) => {
    const count = await tx.agents.revoke(name, actor);
    if (count === 0) throw new Error(`no active enrolment named "${name}" (amtprov agent list)`);
    await tx.audit.recordAudit({ actor, action: 'agent.revoke', outcome: 'success', detail: { name, enrolments: count } });
    return count;
  });
  return `revoked agent ${name} (${revoked} enrolment${revoked === 1 ? '' : 's'}): its next request is refused`;
}

async function listAgents(store: SiteStore): Promise<string> {
  const rows = (await store.agents.list()).map((a) =>
    `${a.name.padEnd(24)} ${a.fqdn.padEnd(32)} ${(a.uuid ?? '(first request binds)').padEnd(36)} ${a.revokedAt ? `revoked ${a.revokedAt}` : `valid until ${a.notAfter}`}`);
  return rows.length === 0 ? 'no agents enrolled' : [`${'name'.padEnd(24)} ${'computer'.padEnd(32)} ${'uuid'.padEnd(36)} state`, ...rows].join('\n');
}

async function clearInBand(store: SiteStore, id: string): Promise<string> {
  const computer = await findComputer(store, id);
  if (!computer.inBandManaged) return `${computer.netbiosName} is not in-band managed; nothing to do`;
  await store.transaction(async (tx) => {
    await tx.computers.setDeviceFacts(computer.id, { inBandManaged: false });
    await tx.audit.recordAudit({ actor: operatorActor(), action: 'computer.in-band-cleared', computerUuid: computer.uuid, outcome: 'info', detail: {} });
  });
  return `${computer.netbiosName} is out-of-band managed again: its Hellos are accepted`;
}

export async function runAgentCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  if (argv[0] === 'enroll') return enrollCommand(argv.slice(1), io);
  if (argv[0] === 'revoke') return siteCommand('revoke', argv.slice(1), io, revokeAgent);
  if (argv[0] === 'list') return siteCommand('list', argv.slice(1), io, listAgents);
  if (argv[0] === 'clear-in-band') return siteCommand('clear-in-band', argv.slice(1), io, clearInBand);
  let options: AgentOptions | 'help';
  try {
    options = parseAgentArguments(argv, (line) => io.err(line));
  } catch (err) {
    if (!(err instanceof BadArguments)) throw err;
    io.err(`amtprov agent: ${err.message}; see "amtprov agent --help".`);
    return AGENT_EXIT.badArguments;
  }
  if (options === 'help') {
    io.out(AGENT_USAGE);
    return AGENT_EXIT.ok;
  }
  try {
    const outcome = await requestInBandProvisioning(options);
    io.out(`in-band provisioning requested for ${outcome.fqdn} (${outcome.uuid}): run ${outcome.workflowId}${outcome.discovered ? ', computer registered by this request' : ''}`);
    return AGENT_EXIT.ok;
  } catch (err) {
    if (err instanceof AgentRefusal) {
      io.err(`amtprov agent: ${err.message}`);
      return err.exitCode;
    }
    io.err(`amtprov agent: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    return AGENT_EXIT.internalError;
  }
}
