// Discover AMT Status (issue 11 item 4): one computer, or the whole site as one child run per
// computer with bounded concurrency. A device that does not answer is a classification
// (Unknown), not a failure; a discovery that fails (store or worker trouble) leaves the
// computer's status as it was and is listed in the result.
import { ApplicationFailure, ChildWorkflowFailure, continueAsNew, executeChild, proxyActivities, setHandler } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { MaintenanceActivities } from '../activities/maintenanceTypes';
import {
  discoveryProgressQuery, discoveryWorkflowId, type DiscoveryInput, type DiscoveryProgress, type DiscoverySummary,
} from './maintenanceDefinitions';
import { publishSearchAttributes } from './searchAttributeUpdates';
import { describeFailure } from './stageRunner';
import { isUntrustedPayload } from './untrustedPayload';

const quick = proxyActivities<MaintenanceActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });
// TLS connect (15 s), a Digest rotation and two reads; a worker that dies is retried elsewhere.
const discovery = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '3 minutes', heartbeatTimeout: '20 seconds', retry: { maximumAttempts: 3, initialInterval: '5 seconds' },
});

const DEFAULT_CONCURRENCY = 10;
/** Children per run before it continues as new, so the history stays far below Temporal's limits. */
const COMPUTERS_PER_RUN = 500;

/** The site-wide run carries its remaining work and counts through continue-as-new. */
interface SiteDiscoveryInput extends DiscoveryInput {
  remaining?: string[];
  carried?: DiscoveryProgress & { failures: DiscoverySummary['failures'] };
}

export async function discoverAmtStatus(input: SiteDiscoveryInput): Promise<DiscoverySummary> {
  if (isUntrustedPayload(input)) {
    throw ApplicationFailure.create({ type: 'UntrustedStart', nonRetryable: true, message: `refused: the run's input is not encrypted with a site codec key (arrived as ${input.encoding})` });
  }
  if (input.uuid !== undefined) {
    publishSearchAttributes({ uuid: input.uuid, stage: 'discover' });
    const result = await discovery.discoverComputer.executeWithOptions({ summary: 'discover: TLS, Digest login, firmware version and provisioning state' }, [{ uuid: input.uuid }]);
    publishSearchAttributes({ status: result.status, stage: 'done' });
    return { counts: { total: 1, done: 1, failed: 0, byStatus: { [result.status]: 1 } }, results: [result], failures: [] };
  }

  const uuids = input.remaining ?? await quick.listComputerUuids.executeWithOptions({ summary: 'list the site\'s computers' }, []);
  const carried = input.carried ?? { total: uuids.length, done: 0, failed: 0, byStatus: {}, failures: [] };
  const progress: DiscoveryProgress = { total: carried.total, done: carried.done, failed: carried.failed, byStatus: { ...carried.byStatus } };
  const failures = [...carried.failures];
  const results: DiscoverySummary['results'] = [];
  setHandler(discoveryProgressQuery, () => progress);
  publishSearchAttributes({ stage: 'discover' });

  const batch = uuids.slice(0, COMPUTERS_PER_RUN);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < batch.length) {
      const uuid = batch[next++];
      try {
        const summary = await executeChild(discoverAmtStatus, { workflowId: discoveryWorkflowId(uuid), args: [{ uuid }] });
        for (const result of summary.results) {
          results.push(result);
          progress.byStatus[result.status] = (progress.byStatus[result.status] ?? 0) + 1;
        }
      } catch (err) {
        const reason = err instanceof WorkflowExecutionAlreadyStartedError
          ? 'a discovery of this computer is already running'
          : describeFailure('discover', err instanceof ChildWorkflowFailure ? err.cause : err).message;
        failures.push({ uuid, reason });
        progress.failed += 1;
      }
      progress.done += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency ?? DEFAULT_CONCURRENCY, batch.length)) }, lane));

  if (uuids.length > batch.length) {
    // Only counts and failures travel on; the per-computer results are in the store and the audit log.
    await continueAsNew<typeof discoverAmtStatus>({ ...input, remaining: uuids.slice(batch.length), carried: { ...progress, failures } });
  }
  publishSearchAttributes({ stage: 'done' });
  return { counts: progress, results, failures };
}
