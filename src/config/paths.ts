// Where the project's own files live, independent of the caller's working directory, and
// where runtime data goes (AMTPROV_DATA_DIR).
import path from 'node:path';

export function projectRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

/** Runtime data (SQLite files, key files, emulator state, Samba DC): AMTPROV_DATA_DIR or `data/` in the checkout. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.AMTPROV_DATA_DIR || path.join(projectRoot(), 'data'));
}
