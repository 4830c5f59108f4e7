// `amtprov renew-certs` and `amtprov reset-passwords`: one maintenance run now, for every
// provisioned computer (those due, for renewal) or one, waited for unless --no-wait.
import type { MaintenanceResult, MaintenanceTask } from '../workflows/scheduledMaintenance';
import { TASK_QUEUE } from '../workflows/definitions';
import { formatMaintenanceResult, startMaintenanceRun } from '../schedules/maintenanceRuns';
import { findComputer, operatorContext } from './operatorClient';
import { EXIT, operatorActor, parseCli, processIo } from './support';

const COMMON = { computer: { type: 'string' }, 'task-queue': { type: 'string', default: TASK_QUEUE }, 'no-wait': { type: 'boolean' } } as const;

async function run(task: MaintenanceTask, argv: string[], usage: string, withForce: boolean): Promise<number> {
  const parsed = parseCli(argv, { ...COMMON, ...(withForce ? { now: { type: 'boolean' } } : {}) }, processIo, usage);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length > 0) {
    processIo.err(`unexpected argument ${parsed.positionals[0]}\n\n${usage}`);
    return EXIT.usage;
  }
  const values = parsed.values as { computer?: string; 'task-queue': string; 'no-wait'?: boolean; now?: boolean };
  const ctx = await operatorContext();
  try {
    const computer = values.computer !== undefined ? await findComputer(ctx.store, values.computer) : undefined;
    const input = {
      trigger: 'operator' as const,
      ...(computer ? { computer: computer.uuid } : {}),
      ...(values.now ? { force: true } : {}),
    };
    const handle = await startMaintenanceRun(await ctx.client(), task, input, values['task-queue']);
    await ctx.store.audit.recordAudit({
      actor: operatorActor(), action: `maintenance.${task}-started`, outcome: 'info',
      ...(computer ? { computerUuid: computer.uuid } : {}), detail: { workflowId: handle.workflowId, force: values.now === true },
    });
    processIo.out(`${handle.workflowId}: started`);
    if (values['no-wait']) return EXIT.ok;
    const result = await handle.result() as MaintenanceResult;
    for (const line of formatMaintenanceResult(result)) processIo.out(line);
    return result.failed.length > 0 ? EXIT.refused : EXIT.ok;
  } finally {
    await ctx.close();
  }
}

const OPTIONS_HELP = `  --computer <uuid or name>  only this computer
  --task-queue <name>        the workers' queue (default ${TASK_QUEUE})
  --no-wait                  print the run's id and return
  -h, --help                 this text`;

export function runRenewCertsCommand(argv: string[]): Promise<number> {
  return run('certificate-renewal', argv, `usage: amtprov renew-certs [--computer <uuid or name>] [--now] [--no-wait]

Renews the TLS certificate of every provisioned computer whose certificate expires within the
window (settings maintenance.certificateRenewal.window, default 42 days), one child run per
device: a new key pair on the device, a certificate from the site CA, TLS switched to it, the
old one removed once the device serves the new one. Exit 1 when a device failed (it is tried
again at the next run).

  --now                      renew whatever the expiry
${OPTIONS_HELP}`, true);
}

export function runResetPasswordsCommand(argv: string[]): Promise<number> {
  return run('password-reset', argv, `usage: amtprov reset-passwords [--computer <uuid or name>] [--no-wait]

Gives every provisioned computer (or one) a new random remote admin password, stored in the
vault as pending before the device receives it. Exit 1 when a device failed.

${OPTIONS_HELP}`, false);
}
