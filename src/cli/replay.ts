// `amtprov replay`: the upgrade gate for workers. Replays the histories of provisioning runs,
// fetched from Temporal (payloads decrypted with the codec key ring), against this checkout's
// workflow code, as a new worker would when it picks those runs up; a history the code no
// longer reproduces (non-determinism) is named and the command exits 1.
import { Worker } from '@temporalio/worker';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { createLogger } from '../log';
import { OPEN_RUNS_QUERY } from '../runs/runControl';
import { connectClient, dataConverter, loadCodecKeyRing } from '../temporal/connection';
import { installRuntime } from '../temporal/runtime';
import { EXIT, parseCli, processIo, type CliIo } from './support';

const USAGE = `usage: amtprov replay [--query <visibility query>] [--limit <n>]

Replays runs' histories from Temporal (TEMPORAL_*; payloads decrypted with the codec key
ring) against the workflow code of this checkout, the way a worker of this version would
continue them. Run it from the new version before rolling workers (docs/deploy.md,
"Upgrading workers safely"): exit 0 when every history replays, 1 naming each one that does
not (the change needs patched(), or must wait until those runs close).

Options:
  --query <q>   which runs (default: the open ones, ${OPEN_RUNS_QUERY})
  --limit <n>   at most this many, newest first (default 200)
  -h, --help    this text
`;

async function* firstOf<T>(items: AsyncIterable<T>, limit: number): AsyncIterable<T> {
  if (limit <= 0) return;
  let taken = 0;
  for await (const item of items) {
    yield item;
    if (++taken >= limit) return;
  }
}

export async function runReplayCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  const parsed = parseCli(argv, { query: { type: 'string', default: OPEN_RUNS_QUERY }, limit: { type: 'string', default: '200' } }, io, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    io.err(`--limit must be a positive whole number, got "${values.limit}"`);
    return EXIT.usage;
  }
  installRuntime(createLogger('replay'));
  const codecKeys = loadCodecKeyRing();
  const client = await connectClient(undefined, codecKeys);
  try {
    const histories: AsyncIterable<HistoryAndWorkflowId> = firstOf(client.workflow.list({ query: values.query }).intoHistories(), limit);
    let replayed = 0;
    let diverged = 0;
    for await (const result of Worker.runReplayHistories({ workflowsPath: require.resolve('../workflows'), dataConverter: dataConverter(codecKeys) }, histories)) {
      replayed += 1;
      if (result.error) {
        diverged += 1;
        io.err(`${result.workflowId} (run ${result.runId}): ${result.error.message}`);
      }
    }
    io.out(`${replayed - diverged} of ${replayed} histories replay with this workflow code`);
    return diverged > 0 ? EXIT.refused : EXIT.ok;
  } finally {
    await client.connection.close();
  }
}
