// `amtprov config [role]`: the effective configuration a role would start with, from this
// environment: each variable's value (secrets only as set/unset) or what is wrong with it.
import { describeConfig } from '../config/environment';
import { VARIABLES, type Role } from '../config/variables';
import { EXIT, parseCli, processIo, type CliIo } from './support';

const ROLES: readonly Role[] = ['listener', 'worker', 'site-server', 'start', 'operator'];

const USAGE = `usage: amtprov config [${ROLES.join(' | ')}] [--json]

Prints every environment variable the role reads (all of them without a role) with its
effective value in this environment, defaults filled in; secrets show as set/unset. Exits 1
when a value is invalid, naming the variable, its default and who reads it: a check to run
before starting a role (e.g. with the role's EnvironmentFile loaded).

Options:
  --json       one JSON object per variable: name, value, problems, default, roles
  -h, --help   this text
`;

function configCommand(argv: string[], io: CliIo): number {
  const parsed = parseCli(argv, { json: { type: 'boolean', default: false } }, io, USAGE);
  if (typeof parsed === 'number') return parsed;
  const [role, ...extra] = parsed.positionals;
  if (extra.length > 0 || (role !== undefined && !(ROLES as readonly string[]).includes(role))) {
    io.err(`amtprov config: expected one of ${ROLES.join(', ')}, got "${parsed.positionals.join(' ')}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  const variables = describeConfig(role as Role | undefined);
  if (parsed.values.json) {
    io.out(JSON.stringify(variables.map((v) => ({ ...v, default: VARIABLES[v.name].default, roles: VARIABLES[v.name].roles })), null, 2));
  } else {
    const width = Math.max(...variables.map((v) => v.name.length));
    for (const v of variables) io.out(`${v.name.padEnd(width)}  ${v.value}`);
    for (const problem of new Set(variables.flatMap((v) => v.problems))) io.err(`invalid: ${problem}`);
  }
  return variables.some((v) => v.problems.length > 0) ? EXIT.refused : EXIT.ok;
}

export function runConfigCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  return Promise.resolve().then(() => configCommand(argv, io));
}
