// Which reason a failed signalWithStart is counted under: the gRPC status, found through the
// SDK's ServiceError causes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceError } from '@temporalio/client';
import { forwardFailure } from '../../../src/listener/forwardFailure';

/** What @grpc/grpc-js rejects a call with: an Error with code, details and metadata. */
function grpcError(code: number): Error {
  return Object.assign(new Error(`${code} status`), { code, details: 'from the server', metadata: {} });
}

test('ResourceExhausted, Unavailable and DeadlineExceeded are told apart, wrapped or not; anything else is failed', () => {
  assert.equal(forwardFailure(new ServiceError('Failed to signalWithStart Workflow', { cause: grpcError(8) })), 'resource-exhausted');
  assert.equal(forwardFailure(new ServiceError('Failed to signalWithStart Workflow', { cause: grpcError(14) })), 'unavailable');
  assert.equal(forwardFailure(grpcError(4)), 'deadline-exceeded');
  assert.equal(forwardFailure(new ServiceError('x', { cause: grpcError(3) })), 'failed');
  assert.equal(forwardFailure(new Error('not gRPC')), 'failed');
  assert.equal(forwardFailure(undefined), 'failed');
});
