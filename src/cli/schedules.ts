// `amtprov schedules apply|list|trigger <task>`: the site's maintenance schedules in Temporal.
import { applyMaintenanceSchedules, describeMaintenanceSchedules, triggerMaintenanceSchedule } from '../schedules/maintenanceSchedules';
import { TASK_QUEUE } from '../workflows/definitions';
import { operatorContext } from './operatorClient';
import { EXIT, parseCli, processIo } from './support';

const USAGE = `usage: amtprov schedules apply [--task-queue <name>]
       amtprov schedules list
       amtprov schedules trigger <certificate-renewal|password-reset|discovery>

apply    creates or updates the maintenance schedules from the site settings (maintenance.*:
         interval, enabled; a disabled task's schedule is paused). npm start applies them too.
list     each schedule: interval, paused or not, its last and next runs
trigger  starts the task's run now (also when paused)`;

export async function runSchedulesCommand(argv: string[]): Promise<number> {
  const parsed = parseCli(argv, { 'task-queue': { type: 'string', default: TASK_QUEUE } }, processIo, USAGE);
  if (typeof parsed === 'number') return parsed;
  const [verb, ...rest] = parsed.positionals;
  if (!(verb === 'apply' && rest.length === 0) && !(verb === 'list' && rest.length === 0) && !(verb === 'trigger' && rest.length === 1)) {
    processIo.err(USAGE);
    return EXIT.usage;
  }
  const ctx = await operatorContext();
  try {
    const client = await ctx.client();
    if (verb === 'apply') {
      for (const s of await applyMaintenanceSchedules(client, (await ctx.store.settings.get()).maintenance, parsed.values['task-queue'])) {
        processIo.out(`${s.scheduleId}: ${s.action}, every ${s.intervalSeconds} s${s.paused ? ', paused (disabled in the settings)' : ''}`);
      }
    } else if (verb === 'list') {
      for (const { task, description } of await describeMaintenanceSchedules(client)) {
        if (!description) {
          processIo.out(`${task}: no schedule (run amtprov schedules apply)`);
          continue;
        }
        const last = description.info.recentActions.at(-1);
        processIo.out(`${description.scheduleId}: ${description.state.paused ? 'paused' : 'active'}; ${description.state.note ?? ''}; `
          + `last run ${last ? last.takenAt.toISOString() : 'never'}; next ${description.info.nextActionTimes[0]?.toISOString() ?? 'none'}`);
      }
    } else {
      processIo.out(`${await triggerMaintenanceSchedule(client, rest[0])}: triggered`);
    }
    return EXIT.ok;
  } finally {
    await ctx.close();
  }
}
