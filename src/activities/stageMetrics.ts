// Activity interceptor: times every activity attempt as its provisioning stage and counts the
// failed ones by their stable type (amtprov_stage_duration_seconds, amtprov_stage_errors_total).
// It sits outside failureMappingInterceptor, so it sees the same ApplicationFailure the
// workflow gets: the type and retry flag the run itself acts on.
import { performance } from 'node:perf_hooks';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptors, ActivityInterceptorsFactory } from '@temporalio/worker';
import { productMetrics, type StageOutcome } from '../metrics/productMetrics';
import type { Stage } from '../workflows/definitions';
import type { ProvisioningActivities } from './types';

const STAGE_OF: Record<keyof ProvisioningActivities, Stage> = {
  validateDevice: 'validate',
  tlsHandshake: 'tls',
  digestLogin: 'digest',
  verifyIdentity: 'identity',
  createDirectoryAccount: 'directory',
  phase1: 'phase1',
  phase2Wsman: 'phase2',
  reportResult: 'report',
};

function failureOutcome(err: unknown): { outcome: StageOutcome; type: string } {
  if (err instanceof CancelledFailure) return { outcome: 'cancelled', type: 'Cancelled' };
  if (err instanceof ApplicationFailure) return { outcome: err.nonRetryable ? 'final-error' : 'retryable-error', type: err.type ?? 'Error' };
  return { outcome: 'retryable-error', type: err instanceof Error ? err.name : 'Error' };
}

export const stageMetricsInterceptor: ActivityInterceptorsFactory = (ctx): ActivityInterceptors => {
  const stage = STAGE_OF[ctx.info.activityType as keyof ProvisioningActivities] as Stage | undefined;
  if (stage === undefined) return {};
  return {
    inbound: {
      async execute(input, next) {
        const started = performance.now();
        const seconds = (): number => (performance.now() - started) / 1000;
        try {
          const result = await next(input);
          productMetrics.stageAttempt(stage, 'ok', seconds());
          return result;
        } catch (err) {
          const { outcome, type } = failureOutcome(err);
          productMetrics.stageAttempt(stage, outcome, seconds(), type);
          throw err;
        }
      },
    },
  };
};
