// Starting the day-after runs (unprovisionDevice, discoverAmtStatus), next to runControl.ts
// which starts and steers provisioning runs. Policy:
// - Unprovision: one run per device (`amt-unprovision-<uuid>`, conflict policy FAIL: a second
//   request while one runs is refused). It is refused while the device's provisioning run is
//   open (cancel that first: `amtprov cancel`), so two runs never change one device at once.
//   The computer's Hellos are held before that check, so no Hello can start a provisioning run
//   between the check and the removal; the hold is released if the start is refused.
// - Discovery: one run per computer (`amt-discover-<uuid>`) or one for the site (`amt-discover-all`).
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Computer } from '../site/computers';
import type { SiteStore } from '../site/store';
import type { discoverAmtStatus, unprovisionDevice } from '../workflows';
import { searchAttributes, TASK_QUEUE } from '../workflows/definitions';
import { discoveryWorkflowId, unprovisionWorkflowId, type DiscoveryInput, type UnprovisionInput } from '../workflows/maintenanceDefinitions';
import { RunControl, type RunRef } from './runControl';

/** A start the policy refuses: the message says why and what to do. */
export class RunRefused extends Error {
  override name = 'RunRefused';
}

export class MaintenanceRuns {
  constructor(private readonly client: Client, private readonly store: SiteStore, private readonly taskQueue = TASK_QUEUE) {}

  async unprovision(computer: Computer, options: Omit<UnprovisionInput, 'uuid'>): Promise<RunRef> {
    await this.store.computers.setProvisioningHeld(computer.id, true);
    try {
      const provisioning = await new RunControl(this.client, this.taskQueue).status(computer.uuid);
      if (provisioning?.status === 'RUNNING') {
        throw new RunRefused(`${computer.netbiosName} has an open provisioning run (${provisioning.workflowId}); cancel it first (amtprov cancel ${computer.netbiosName})`);
      }
      const input: UnprovisionInput = { uuid: computer.uuid, ...options };
      const handle = await this.client.workflow.start<typeof unprovisionDevice>('unprovisionDevice', {
        taskQueue: this.taskQueue,
        workflowId: unprovisionWorkflowId(computer.uuid),
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        args: [input],
        typedSearchAttributes: [
          { key: searchAttributes.uuid, value: computer.uuid },
          { key: searchAttributes.hostname, value: computer.fqdn },
        ],
        staticSummary: `${computer.fqdn}: ${options.mode} unprovision${options.reprovision ? ', then provision again' : ''}`,
      });
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    } catch (err) {
      // The run that holds the Hellos is the one already running, or none: only then release.
      const alreadyRunning = err instanceof WorkflowExecutionAlreadyStartedError;
      if (!alreadyRunning) await this.store.computers.setProvisioningHeld(computer.id, computer.provisioningHeld);
      if (alreadyRunning) throw new RunRefused(`an unprovision of ${computer.netbiosName} is already running (${unprovisionWorkflowId(computer.uuid)})`);
      throw err;
    }
  }

  async discover(input: DiscoveryInput, computer?: Computer): Promise<RunRef> {
    try {
      const handle = await this.client.workflow.start<typeof discoverAmtStatus>('discoverAmtStatus', {
        taskQueue: this.taskQueue,
        workflowId: discoveryWorkflowId(computer?.uuid),
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        args: [{ ...input, ...(computer ? { uuid: computer.uuid } : {}) }],
        ...(computer ? { typedSearchAttributes: [{ key: searchAttributes.uuid, value: computer.uuid }, { key: searchAttributes.hostname, value: computer.fqdn }] } : {}),
        staticSummary: computer ? `${computer.fqdn}: discover AMT status` : 'discover the AMT status of every computer',
      });
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new RunRefused(`a discovery is already running (${discoveryWorkflowId(computer?.uuid)})`);
      throw err;
    }
  }
}
