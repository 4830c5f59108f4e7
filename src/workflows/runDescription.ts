// What a run shows in the Temporal Web UI without opening a query: one summary per activity
// call (the event history's "Summary" column) naming the seed step it performs, and the
// run's current details (stage, attempt, device, last error), Temporal markdown.
// Pure functions of the run's status: deterministic, and free of secrets like the status.
import type { ProvisioningStatus, Stage } from './definitions';

/** The seed step each stage performs (README "Architecture": seed step -> activity). */
export const SEED_STEPS: Record<Exclude<Stage, 'done'>, string> = {
  validate: 'seed 4.1: validate the UUID, choose the provisioning certificate',
  tls: 'seed 4.2: TLS handshake with the provisioning certificate',
  digest: 'seed 4.3: Digest login, rotating the configured accounts',
  identity: 'in-band: verify the one-time password the agent set',
  directory: 'seed 4.4: AD computer account and SPNs',
  phase1: 'seed 7.1-7.6: first stage (EOI SOAP or WS-Man, by firmware)',
  phase2: 'seed 8.1-8.4: second stage over WS-Man',
  report: 'seed 9: report the result to the site store',
};

/** One line, as the UI shows it next to the ActivityTaskScheduled event. */
export function activitySummary(stage: Exclude<Stage, 'done'>, attempt: number): string {
  return `${stage}${attempt > 1 ? ` (attempt ${attempt})` : ''}: ${SEED_STEPS[stage]}`;
}

export function currentDetails(status: ProvisioningStatus): string {
  const stage = status.stage === 'done'
    ? `**Outcome** ${status.outcome ?? 'unknown'}`
    : `**Stage** ${activitySummary(status.stage, status.attempt)}`;
  const lines = [
    stage,
    `**Device** ${status.hostname ?? status.uuid} at ${status.address} (${status.mode})`,
  ];
  if (status.lastError) {
    const e = status.lastError;
    lines.push(`**Last error** ${e.type} in ${e.stage}: ${e.message}${e.nonRetryable ? '' : ' (retried)'}`);
  }
  if (status.hellosAbsorbed > 0 || status.agentRequests > 0) {
    lines.push(`**Repeated requests** ${status.hellosAbsorbed} Hello(s), ${status.agentRequests} agent request(s) absorbed by this run`);
  }
  if (status.candidateAddress !== undefined) {
    lines.push(`**Newer address** ${status.candidateAddress} (from a Hello; tried if ${status.address} stops answering, and must show the pinned device)`);
  }
  if (status.untrustedSignals > 0) {
    lines.push(`**Refused signals** ${status.untrustedSignals} not encrypted with a site codec key (ignored)`);
  }
  return lines.join('\n\n');
}
