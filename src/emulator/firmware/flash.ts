// The device's flash: one JSON file per device, replaced atomically (temp file + fsync +
// rename) so a crash mid-write leaves the old or the new state, never half of one. The file
// holds the device's secrets like a real flash part does; it is created 0600 and its content
// is never logged.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { upgradeFirmwareState } from './schema';
import type { FirmwareState } from './types';

export class FlashFile {
  private pending: Promise<void> = Promise.resolve();
  private sequence = 0;

  constructor(readonly filePath: string) {}

  /** The stored state, or null for a device that never booted. Corrupt or unknown content throws. */
  async read(): Promise<FirmwareState | null> {
    let text: string;
    try {
      text = await fs.readFile(this.filePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`device state file ${this.filePath} is not valid JSON`, { cause: err });
    }
    const state = typeof parsed === 'object' && parsed !== null ? upgradeFirmwareState(parsed as Record<string, unknown>) : null;
    if (!state) throw new Error(`device state file ${this.filePath} has an unknown schema; move it away to re-create the device`);
    return state;
  }

  /**
   * Queues a write of this snapshot; writes happen in call order. Resolves when this
   * snapshot (or a later one) is on disk.
   */
  write(state: FirmwareState): Promise<void> {
    const text = JSON.stringify(state, null, 2);
    const next = this.pending.then(() => this.replace(text));
    // A failed write must not wedge later ones; the caller of this write still sees it fail.
    this.pending = next.catch(() => undefined);
    return next;
  }

  private async replace(text: string): Promise<void> {
    await fs.mkdir(path.dirname(this.filePath), { recursive: true });
    this.sequence += 1;
    const temp = `${this.filePath}.${process.pid}.${this.sequence}.tmp`;
    const handle = await fs.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, this.filePath);
  }
}
