// `amtprov`: one entry point for operators. Each command lives in its own module under
// src/cli/ and is loaded only when used, so quick commands start quickly.
type CommandModule = (argv: string[]) => Promise<number>;

interface Command {
  summary: string;
  load: () => CommandModule;
}

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading keeps `amtprov --help` fast */
const commands: Record<string, Command> = {
  start: { summary: 'run the whole stack on this machine (Temporal dev server + UI, AD DC, worker, listener, demo fleet)', load: () => (require('./cli/start') as typeof import('./cli/start')).runStartCommand },
  listener: { summary: 'run a hello listener (out-of-band service point) against TEMPORAL_ADDRESS', load: () => (require('./cli/listener') as typeof import('./cli/listener')).runListenerCommand },
  worker: { summary: 'run a provisioning worker against TEMPORAL_ADDRESS (production: many of these)', load: () => (require('./cli/worker') as typeof import('./cli/worker')).runWorkerCommand },
  import: { summary: 'import computers from a ConfigMgr out-of-band CSV file', load: () => (require('./cli/import') as typeof import('./cli/import')).runImportCommand },
  certs: { summary: 'add or list provisioning certificates', load: () => (require('./cli/certs') as typeof import('./cli/certs')).runCertsCommand },
  pki: { summary: 'make the demo PKI (root, provisioning certificate, issuing CA)', load: () => (require('./cli/pki') as typeof import('./cli/pki')).runPkiCommand },
  settings: { summary: 'show or apply site settings (directory, Digest accounts, AMT settings)', load: () => (require('./cli/settings') as typeof import('./cli/settings')).runSettingsCommand },
  status: { summary: 'computers and their AMT status; one computer with its run and audit trail', load: () => (require('./cli/status') as typeof import('./cli/status')).runStatusCommand },
  runs: { summary: 'provisioning runs in Temporal, filtered by AMT status or stage', load: () => (require('./cli/runs') as typeof import('./cli/runs')).runRunsCommand },
  retry: { summary: "retry a computer's run now (or start a new one after a failure)", load: () => (require('./cli/runControl') as typeof import('./cli/runControl')).runRetryCommand },
  'reset-pin': { summary: 'forget the device certificate pinned at first contact (after a known device change)', load: () => (require('./cli/resetPin') as typeof import('./cli/resetPin')).runResetPinCommand },
  unprovision: { summary: "remove a computer's provisioning (device, certificate, AD account), then provision it again unless --no-reprovision", load: () => (require('./cli/unprovision') as typeof import('./cli/unprovision')).runUnprovisionCommand },
  discover: { summary: 'discover the AMT status of one computer or all (Unknown ... Externally Provisioned), firmware version and family', load: () => (require('./cli/discover') as typeof import('./cli/discover')).runDiscoverCommand },
  cancel: { summary: "cancel a computer's running run", load: () => (require('./cli/runControl') as typeof import('./cli/runControl')).runCancelCommand },
  agent: { summary: 'in-band client agent: set a one-time password and ask the site server to provision this computer; "agent enroll" registers one', load: () => (require('./cli/agent') as typeof import('./cli/agent')).runAgentCommand },
  'codec-server': { summary: 'serve the payload codec endpoint for the Temporal Web UI and CLI (bearer token or OIDC access token)', load: () => (require('./cli/codecServer') as typeof import('./cli/codecServer')).runCodecServerCommand },
  'site-server': { summary: 'serve the site server HTTPS API for in-band agents (mutual TLS)', load: () => (require('./cli/siteServer') as typeof import('./cli/siteServer')).runSiteServerCommand },
  'renew-certs': { summary: 'renew device TLS certificates that expire within the window (or --now), one child run per device', load: () => (require('./cli/maintenance') as typeof import('./cli/maintenance')).runRenewCertsCommand },
  'reset-passwords': { summary: "reset provisioned devices' remote admin passwords (pending-first, as in phase 1)", load: () => (require('./cli/maintenance') as typeof import('./cli/maintenance')).runResetPasswordsCommand },
  schedules: { summary: 'apply, list or trigger the maintenance schedules (certificate renewal, password reset, discovery)', load: () => (require('./cli/schedules') as typeof import('./cli/schedules')).runSchedulesCommand },
  replay: { summary: "replay runs' histories from Temporal against this version's workflow code (the gate before rolling workers)", load: () => (require('./cli/replay') as typeof import('./cli/replay')).runReplayCommand },
  config: { summary: 'print the effective configuration (environment variables) of a role, secrets as set/unset', load: () => (require('./cli/config') as typeof import('./cli/config')).runConfigCommand },
  emulate: { summary: 'run an emulated fleet of AMT devices on 127.0.x.y', load: () => (require('./cli/emulate') as typeof import('./cli/emulate')).runEmulateCommand },
};
/* eslint-enable @typescript-eslint/no-require-imports */

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return ['Usage: amtprov <command> [options]   (amtprov <command> --help for details)', '', 'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`amtprov: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  return command.load()(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`amtprov: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
