// What "ready" means for a role (GET /readyz): its Temporal namespace answers and the site
// store answers a query, each within a bound, checked afresh at every probe so a load
// balancer or orchestrator sees an outage as it happens. A role that is draining is not ready.
import type { NativeConnection } from '@temporalio/worker';
import type { SiteStore } from '../site/store';

/** A check answers with what is wrong, or nothing. */
export type ReadinessCheck = () => Promise<string | undefined>;

export const READINESS_TIMEOUT_MS = 3_000;

/** Any well-formed UUID will do (the all-zero one is refused as unset by the manufacturer). */
const PROBE_UUID = '6f1b5a3e-0c2d-4e8f-9a7b-5e4d3c2b1a09';

/** Both SDK connections (client and worker) have these two. */
export type TemporalConnectionLike = Pick<NativeConnection, 'workflowService' | 'withDeadline'>;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function bounded(what: string, probe: Promise<unknown>): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`${what}: no answer within ${READINESS_TIMEOUT_MS} ms`), READINESS_TIMEOUT_MS);
  });
  return Promise.race([probe.then(() => undefined, (err: unknown) => `${what}: ${message(err)}`), timeout]).finally(() => clearTimeout(timer));
}

/** The namespace is described: the front end answers, the credentials are accepted and the namespace exists. */
export function temporalReady(connection: TemporalConnectionLike, namespace: string): ReadinessCheck {
  return () => bounded(`Temporal namespace ${namespace}`, connection.withDeadline(Date.now() + READINESS_TIMEOUT_MS,
    () => connection.workflowService.describeNamespace({ namespace })));
}

/** One indexed lookup (of a made-up UUID), through the same store the role serves from. */
export function storeReady(store: SiteStore): ReadinessCheck {
  return () => bounded('site store', store.computers.findByUuid(PROBE_UUID));
}

/** Every check's problem, or none when all pass; the checks run side by side. */
export async function readinessProblems(checks: readonly ReadinessCheck[]): Promise<string[]> {
  return (await Promise.all(checks.map((check) => check()))).filter((p): p is string => p !== undefined);
}
