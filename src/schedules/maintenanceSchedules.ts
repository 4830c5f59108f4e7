// The site's maintenance tasks as Temporal Schedules (issue 11), shown on the Web UI's Schedules
// page: one schedule per task under a stable id, created or updated from the site settings
// (`maintenance` in the settings file) by `npm start` and `amtprov schedules apply`. A disabled
// task's schedule stays, paused, with a note saying so: its history of runs stays visible and
// `amtprov schedules trigger` still starts it by hand. Overlap policy: skip (a run still open
// when the next is due is not doubled). Each run reads the rest of its settings (window,
// concurrency, retry time) from the store when it starts, so only interval and enabled live here.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleDescription } from '@temporalio/client';
import type { SiteSettings } from '../site/settings';
import { TASK_QUEUE } from '../workflows/definitions';
import { discoveryWorkflowId, type DiscoveryInput } from '../workflows/maintenanceDefinitions';
import { maintenanceWorkflowId, type CertificateRenewalInput, type MaintenanceTask, type PasswordResetInput } from '../workflows/scheduledMaintenance';

type Maintenance = SiteSettings['maintenance'];

/** The per-device maintenance tasks, and status discovery of the whole site. */
export type ScheduledTask = MaintenanceTask | 'discovery';

interface MaintenanceSchedule {
  task: ScheduledTask;
  workflowType: 'renewCertificates' | 'resetPasswords' | 'discoverAmtStatus';
  /** Prefix of the runs' ids (the schedule appends the start time). */
  workflowId: string;
  settings(maintenance: Maintenance): { enabled: boolean; interval: number };
  input(maintenance: Maintenance): CertificateRenewalInput | PasswordResetInput | DiscoveryInput;
}

export const MAINTENANCE_SCHEDULES: readonly MaintenanceSchedule[] = [
  {
    task: 'certificate-renewal', workflowType: 'renewCertificates', workflowId: maintenanceWorkflowId('certificate-renewal'),
    settings: (m) => m.certificateRenewal, input: () => ({ trigger: 'schedule' }),
  },
  {
    task: 'password-reset', workflowType: 'resetPasswords', workflowId: maintenanceWorkflowId('password-reset'),
    settings: (m) => m.passwordReset, input: () => ({ trigger: 'schedule' }),
  },
  // Discovery takes its concurrency in its input (amtprov discover --all passes it the same way).
  {
    task: 'discovery', workflowType: 'discoverAmtStatus', workflowId: discoveryWorkflowId(),
    settings: (m) => m.discovery, input: (m) => ({ concurrency: m.discovery.concurrency }),
  },
];

export const scheduleId = (task: ScheduledTask): string => `amt-maintenance-${task}`;

export interface AppliedSchedule {
  task: ScheduledTask;
  scheduleId: string;
  action: 'created' | 'updated';
  paused: boolean;
  intervalSeconds: number;
}

function findSchedule(name: string): MaintenanceSchedule {
  const found = MAINTENANCE_SCHEDULES.find((s) => s.task === name);
  if (!found) throw new Error(`no maintenance schedule "${name}" (known: ${MAINTENANCE_SCHEDULES.map((s) => s.task).join(', ')})`);
  return found;
}

function desired(schedule: MaintenanceSchedule, maintenance: Maintenance, taskQueue: string): ScheduleOptions {
  const { enabled, interval } = schedule.settings(maintenance);
  return {
    scheduleId: scheduleId(schedule.task),
    spec: { intervals: [{ every: interval * 1000 }] },
    action: {
      type: 'startWorkflow', workflowType: schedule.workflowType, taskQueue, args: [schedule.input(maintenance)],
      workflowId: schedule.workflowId, staticSummary: `site maintenance: ${schedule.task} (schedule)`,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    state: { paused: !enabled, note: enabled ? `every ${interval} s (site settings maintenance)` : 'disabled in the site settings (maintenance.*.enabled: false)' },
  };
}

/** Creates each schedule, or updates it to the settings when it exists (idempotent). */
export async function applyMaintenanceSchedules(client: Client, maintenance: Maintenance, taskQueue = TASK_QUEUE): Promise<AppliedSchedule[]> {
  const applied: AppliedSchedule[] = [];
  for (const schedule of MAINTENANCE_SCHEDULES) {
    const options = desired(schedule, maintenance, taskQueue);
    const paused = options.state?.paused === true;
    const intervalSeconds = schedule.settings(maintenance).interval;
    try {
      await client.schedule.create(options);
      applied.push({ task: schedule.task, scheduleId: options.scheduleId, action: 'created', paused, intervalSeconds });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(options.scheduleId).update((previous) => ({
        ...previous, spec: options.spec, action: options.action, policies: { ...previous.policies, ...options.policies },
        state: { ...previous.state, paused, note: options.state?.note },
      }));
      applied.push({ task: schedule.task, scheduleId: options.scheduleId, action: 'updated', paused, intervalSeconds });
    }
  }
  return applied;
}

export async function describeMaintenanceSchedules(client: Client): Promise<{ task: ScheduledTask; description: ScheduleDescription | undefined }[]> {
  return Promise.all(MAINTENANCE_SCHEDULES.map(async (s) => ({
    task: s.task,
    description: await client.schedule.getHandle(scheduleId(s.task)).describe().catch((err: unknown) => {
      if (err instanceof Error && err.name === 'ScheduleNotFoundError') return undefined;
      throw err;
    }),
  })));
}

/** Starts the task's workflow now, as the schedule would (paused or not; overlap policy skip). */
export async function triggerMaintenanceSchedule(client: Client, task: string): Promise<string> {
  const id = scheduleId(findSchedule(task).task);
  await client.schedule.getHandle(id).trigger(ScheduleOverlapPolicy.SKIP);
  return id;
}
