// Polls `check` every 100 ms until it holds; a throwing check (e.g. a run that does not exist yet) counts as not yet.
import assert from 'node:assert/strict';

export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
