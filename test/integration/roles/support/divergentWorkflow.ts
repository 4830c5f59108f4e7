// A workflow under the provisioning workflow's type name that does something else: its
// history is one the real workflow code cannot reproduce, as after an unpatched change.
import { sleep } from '@temporalio/workflow';

export async function provisionDevice(): Promise<string> {
  await sleep(10);
  return 'diverged';
}
