// When a device sends its Hellos (docs/amt-protocol.md section 2, the seed's schedule), as offsets
// from the start of a provisioning period. Each schedule phase sends at its start and then
// every interval while inside the phase: minutes 0-4, then every 5 minutes from minute 5 to
// 60, then hourly from 1 h 5 min for 23 sends; 40 Hellos over about 23 hours, then silence.
import { HELLO_SCHEDULE } from '../../contract/hello';

export function helloOffsetsSeconds(): number[] {
  const offsets: number[] = [];
  let phaseStart = 0;
  for (const { intervalSeconds, forSeconds } of HELLO_SCHEDULE) {
    for (let t = 0; t < forSeconds; t += intervalSeconds) offsets.push(phaseStart + t);
    phaseStart += forSeconds;
  }
  return offsets;
}

const OFFSETS = helloOffsetsSeconds();

/** Number of Hellos in one provisioning period. */
export const HELLOS_PER_PERIOD = OFFSETS.length;

/**
 * Real milliseconds to wait before Hello number `index` (0-based) of a period, counted from
 * the previous one (from the period start for index 0); null when the period is over.
 * `timeScale` > 1 runs device time faster (3600 = an hour per second).
 */
export function delayBeforeHelloMs(index: number, timeScale: number): number | null {
  if (!(timeScale > 0)) throw new Error(`time scale must be > 0, got ${timeScale}`);
  const offset = OFFSETS[index];
  if (offset === undefined) return null;
  const previous = index === 0 ? 0 : (OFFSETS[index - 1] ?? 0);
  return ((offset - previous) * 1000) / timeScale;
}
