// The texts the Web UI shows for a run: activity summaries and current details.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProvisioningStatus } from '../../../src/workflows/definitions';
import { activitySummary, currentDetails } from '../../../src/workflows/runDescription';

const running: ProvisioningStatus = {
  uuid: '8c2e0a4e-0000-4000-8000-000000000001', mode: 'out-of-band', stage: 'phase1', attempt: 3,
  hellosAbsorbed: 2, agentRequests: 0, untrustedSignals: 0, address: '127.0.41.1', hostname: 'pc1.amt.test',
  lastError: { stage: 'phase1', type: 'DeviceUnreachable', message: 'connect ECONNREFUSED 127.0.41.1:16993', nonRetryable: false },
};

test('a summary names the stage, a retry attempt and the seed step', () => {
  assert.equal(activitySummary('tls', 1), 'tls: seed 4.2: TLS handshake with the provisioning certificate');
  assert.equal(activitySummary('phase2', 2), 'phase2 (attempt 2): seed 8.1-8.4: second stage over WS-Man');
});

test('current details of a retrying run: stage and attempt, device, last error, absorbed Hellos', () => {
  assert.equal(currentDetails(running), [
    '**Stage** phase1 (attempt 3): seed 7.1-7.6: first stage (EOI SOAP or WS-Man, by firmware)',
    '**Device** pc1.amt.test at 127.0.41.1 (out-of-band)',
    '**Last error** DeviceUnreachable in phase1: connect ECONNREFUSED 127.0.41.1:16993 (retried)',
    '**Repeated requests** 2 Hello(s), 0 agent request(s) absorbed by this run',
  ].join('\n\n'));
});

test('current details of a finished run before validation named the host: outcome and UUID', () => {
  const failed: ProvisioningStatus = {
    ...running, stage: 'done', outcome: 'Failed', hostname: undefined, hellosAbsorbed: 0,
    lastError: { stage: 'validate', type: 'UnknownDevice', message: 'not imported', nonRetryable: true },
  };
  assert.equal(currentDetails(failed), [
    '**Outcome** Failed',
    `**Device** ${running.uuid} at 127.0.41.1 (out-of-band)`,
    '**Last error** UnknownDevice in validate: not imported',
  ].join('\n\n'));
});
