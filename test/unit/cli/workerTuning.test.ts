import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkflowTaskTuning, wholeFlag } from '../../../src/cli/worker';

test('workflow-task tuning flags become worker options; absent flags keep the SDK defaults', () => {
  assert.deepEqual(parseWorkflowTaskTuning({}), {});
  assert.deepEqual(parseWorkflowTaskTuning({ 'workflow-task-slots': '100', 'workflow-task-pollers': '20', 'non-sticky-ratio': '0.5' }), { slots: 100, pollers: 20, nonStickyRatio: 0.5 });
});

test('a bad tuning value is refused naming its flag', () => {
  assert.throws(() => parseWorkflowTaskTuning({ 'workflow-task-slots': '1' }), /--workflow-task-slots must be a whole number from 2/);
  assert.throws(() => parseWorkflowTaskTuning({ 'workflow-task-pollers': 'many' }), /--workflow-task-pollers must be a whole number/);
  assert.throws(() => parseWorkflowTaskTuning({ 'non-sticky-ratio': '0' }), /--non-sticky-ratio must be a number above 0/);
  assert.throws(() => parseWorkflowTaskTuning({ 'non-sticky-ratio': '1.5' }), /--non-sticky-ratio/);
});

test('--activity-slots takes a whole number and names itself when bad', () => {
  assert.equal(wholeFlag('activity-slots', undefined, 1), undefined);
  assert.equal(wholeFlag('activity-slots', '5000', 1), 5000);
  assert.throws(() => wholeFlag('activity-slots', '0', 1), /--activity-slots must be a whole number from 1/);
});
