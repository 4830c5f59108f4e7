// A real Temporal dev server for one test file: the project's resolved CLI binary, on free
// ports, with the search attributes declared in temporal-dev.yaml.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadDevStackConfig, type DevStackConfig } from '../../src/config/temporalDev';
import { resolveTemporalCli } from '../../src/stack/temporalCli';
import { provisioningWorkflowId } from '../../src/workflows/definitions';

const types: Record<DevStackConfig['searchAttributes'][string], SearchAttributeType> = {
  Text: SearchAttributeType.TEXT,
  Keyword: SearchAttributeType.KEYWORD,
  Int: SearchAttributeType.INT,
  Double: SearchAttributeType.DOUBLE,
  Bool: SearchAttributeType.BOOL,
  Datetime: SearchAttributeType.DATETIME,
  KeywordList: SearchAttributeType.KEYWORD_LIST,
};

let runtimeInstalled = false;

/** Worker and SDK logs at ERROR: tests assert failures themselves; the SDK's WARN lines repeat them with stacks. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

export async function startTestTemporal(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const cli = await resolveTemporalCli();
  const config = loadDevStackConfig();
  const searchAttributes = Object.entries(config.searchAttributes).map(([name, type]) =>
    defineSearchAttributeKey(name, types[type]));
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      searchAttributes,
      extraArgs: Object.entries(config.dynamicConfig).flatMap(([key, value]) =>
        ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
    },
  });
}

/** A task queue name no other test uses, so each test's worker sees only its own tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Whether the device's provisioning workflow id has a run (open or closed). */
export async function hasProvisioningRun(client: Client, uuid: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(provisioningWorkflowId(uuid)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
