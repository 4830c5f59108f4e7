// The one place that starts and steers provisioning runs; the listener (Hello), the site API
// (in-band agent) and the operator CLI (retry, cancel, status) all go through it.
//
// Policy, the same for every starter:
// - One workflow id per device, `amt-provision-<uuid>`, on one task queue.
// - A trigger that carries news (a Hello, an agent request) is a signalWithStart with that
//   news as the signal: atomic, so two Hellos racing never make two runs.
// - Conflict policy USE_EXISTING: a running run absorbs the trigger as a signal (and moves to
//   the address it carries); nothing new starts.
// - Reuse policy ALLOW_DUPLICATE: once a run has closed (Provisioned, Failed, cancelled,
//   terminated), the next trigger starts a new run under the same id.
// - Every start sets the same search attributes (AmtUuid, AmtHostname, ProvisioningMode,
//   ProvisioningStage=validate, AmtStatus=Detected), so a run is findable before its first workflow task, and a static
//   summary and details (host, mode, trigger) the Web UI shows in its run list and run page.
//   Like every payload they pass through the codec: the UI reads them via the codec endpoint.
import { WorkflowNotFoundError, type Client, type WorkflowHandle, type WorkflowStartOptions } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import type { provisionDevice } from '../workflows';
import { diagnoseStuckRun, STUCK_WORKFLOW_TASK_ATTEMPTS, type StuckRun } from './stuckRun';
import {
  agentRequestSignal, helloSignal, provisioningStartAttributes, provisioningWorkflowId, retrySignal, statusQuery, TASK_QUEUE,
  type AgentRequestSignal, type HelloSignal, type ProvisioningMode, type ProvisioningStatus, type ProvisionInput,
} from '../workflows/definitions';

export const WORKFLOW_TYPE = 'provisionDevice';

/** Visibility query for the provisioning runs still open, e.g. for `amtprov status --watch`. */
export const OPEN_RUNS_QUERY = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;

/** What a run needs to know about its device when it starts. */
export interface RunDevice {
  uuid: string;
  /** The computer's FQDN from the site store, for the summary and the AmtHostname attribute. */
  hostname: string;
  /** Where the run reaches the device. */
  address: string;
  trustedRootHashes: string[];
}

export interface RunRef {
  workflowId: string;
  runId: string;
}

export interface RunState extends RunRef {
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, ... */
  status: string;
  started: string;
  closed?: string;
  summary?: string;
  /** The workflow's own status query, while the run is open and moving. */
  live?: ProvisioningStatus;
  /** Set instead of `live` when the run's workflow task keeps failing (stuckRun.ts). */
  stuck?: StuckRun;
}

export type RetryOutcome = RunRef & { action: 'signalled' | 'started' };

const TRIGGER_TEXT: Record<ProvisionInput['trigger'], string> = { hello: 'Hello', agent: 'agent request', operator: 'operator retry' };

/** The Web UI's one-line summary and its details (Temporal markdown), from facts only, never secrets. */
function runMetadata(input: ProvisionInput, hostname: string, triggerDetail: string): { staticSummary: string; staticDetails: string } {
  return {
    staticSummary: `${hostname}: ${input.mode} provisioning (${TRIGGER_TEXT[input.trigger]})`,
    staticDetails: [
      `**Host** ${hostname}`,
      `**UUID** ${input.uuid}`,
      `**Mode** ${input.mode}`,
      `**Trigger** ${triggerDetail}`,
      `**Address at start** ${input.address}`,
    ].join('\n\n'),
  };
}

export class RunControl {
  constructor(private readonly client: Client, private readonly taskQueue = TASK_QUEUE) {}

  /** A device's Hello (out-of-band): starts its run, or reaches the running one. */
  fromHello(device: RunDevice, retryCount: number): Promise<RunRef> {
    const input = this.input(device, 'out-of-band', 'hello');
    return this.signalWithStart(device, input, `Hello from ${device.address} (retry count ${retryCount})`,
      helloSignal, { retryCount, peerAddress: device.address });
  }

  /** An accepted in-band agent request (docs/amt-protocol.md section 7, step 3). */
  fromAgent(device: RunDevice): Promise<RunRef> {
    const input = this.input(device, 'in-band', 'agent');
    return this.signalWithStart(device, input, `agent request from ${device.address}`, agentRequestSignal, { peerAddress: device.address });
  }

  /**
   * An operator's retry: a running run retries its current stage now; otherwise a new run
   * starts in the device's last mode, at its last address (a device never reached has none).
   */
  async retry(device: Omit<RunDevice, 'address'> & { address: string | null; mode: ProvisioningMode | null }): Promise<RetryOutcome> {
    const handle = this.handle(device.uuid);
    const current = await this.describe(handle);
    if (current?.status.name === 'RUNNING') {
      await handle.signal(retrySignal);
      return { action: 'signalled', workflowId: handle.workflowId, runId: current.runId };
    }
    if (!device.address || !device.mode) {
      throw new Error(`${device.hostname} has never been reached: there is no address to retry; wait for its Hello or its agent`);
    }
    const reached = { ...device, address: device.address };
    const input = this.input(reached, device.mode, 'operator');
    // USE_EXISTING: a Hello that started a run a moment ago wins; that run is as fresh as ours.
    const started = await this.client.workflow.start<typeof provisionDevice>(WORKFLOW_TYPE,
      this.startOptions(reached, input, 'retry requested by an operator'));
    return { action: 'started', workflowId: started.workflowId, runId: started.firstExecutionRunId };
  }

  /** Cancels the device's open run; it reports the computer Failed ("cancelled by an operator"). */
  async cancel(uuid: string): Promise<RunRef> {
    const handle = this.handle(uuid);
    const current = await this.describe(handle);
    if (current?.status.name !== 'RUNNING') {
      throw new Error(`${handle.workflowId} has no open run to cancel${current ? ` (its last run is ${current.status.name})` : ''}`);
    }
    await handle.cancel();
    return { workflowId: handle.workflowId, runId: current.runId };
  }

  /** The device's latest run, with its live status while open; undefined when it never had one. */
  async status(uuid: string): Promise<RunState | undefined> {
    const handle = this.handle(uuid);
    const description = await this.describe(handle);
    if (!description) return undefined;
    const open = description.status.name === 'RUNNING';
    const attempts = description.raw.pendingWorkflowTask?.attempt ?? 0;
    // A stuck run answers no query (no worker can replay it): diagnose it from its history instead.
    const stuck = open && attempts >= STUCK_WORKFLOW_TASK_ATTEMPTS ? await diagnoseStuckRun(this.client, await handle.fetchHistory(), attempts) : undefined;
    return {
      workflowId: description.workflowId, runId: description.runId, status: description.status.name,
      started: description.startTime.toISOString(), closed: description.closeTime?.toISOString(),
      // The summary is a payload too: under a key this process lacks it is left out, not fatal.
      summary: stuck ? await description.staticSummary().catch(() => undefined) : await description.staticSummary(),
      ...(stuck ? { stuck } : open ? { live: await handle.query(statusQuery) } : {}),
    };
  }

  /** How many provisioning runs are open (Temporal visibility, eventually consistent). */
  async openRuns(): Promise<number> {
    return (await this.client.workflow.count(OPEN_RUNS_QUERY)).count;
  }

  private handle(uuid: string): WorkflowHandle<typeof provisionDevice> {
    return this.client.workflow.getHandle<typeof provisionDevice>(provisioningWorkflowId(uuid));
  }

  private async describe(handle: WorkflowHandle) {
    try {
      return await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  private input(device: RunDevice, mode: ProvisioningMode, trigger: ProvisionInput['trigger']): ProvisionInput {
    return { uuid: device.uuid, mode, address: device.address, trustedRootHashes: device.trustedRootHashes, trigger };
  }

  private startOptions(device: RunDevice, input: ProvisionInput, triggerDetail: string): WorkflowStartOptions<typeof provisionDevice> {
    return {
      taskQueue: this.taskQueue,
      workflowId: provisioningWorkflowId(device.uuid),
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      args: [input],
      typedSearchAttributes: provisioningStartAttributes({ uuid: device.uuid, hostname: device.hostname, mode: input.mode }),
      ...runMetadata(input, device.hostname, triggerDetail),
    };
  }

  private async signalWithStart<S extends HelloSignal | AgentRequestSignal>(
    device: RunDevice, input: ProvisionInput, triggerDetail: string, signal: SignalDefinition<[S]>, signalArg: S,
  ): Promise<RunRef> {
    const handle = await this.client.workflow.signalWithStart<typeof provisionDevice, [S]>(WORKFLOW_TYPE, {
      ...this.startOptions(device, input, triggerDetail),
      signal,
      signalArgs: [signalArg],
    });
    return { workflowId: handle.workflowId, runId: handle.signaledRunId };
  }
}
