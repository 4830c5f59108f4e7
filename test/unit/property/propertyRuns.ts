// Shared bounds for the property tests: a fixed seed (printed by fast-check on failure, with the
// shrunk counterexample and the path to replay it) and a modest run count, so the unit suite
// stays fast and a failure reproduces exactly. PROPERTY_SEED / PROPERTY_RUNS override both.
import type { Parameters } from 'fast-check';

const seed = Number(process.env.PROPERTY_SEED ?? 20261201);
const numRuns = Number(process.env.PROPERTY_RUNS ?? 300);

export function runs<T>(scale = 1): Parameters<T> {
  return { seed, numRuns: Math.max(1, Math.round(numRuns * scale)) };
}
