// Where the project's own files live, independent of the caller's working directory.
import path from 'node:path';

export function projectRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

/** Runtime data (SQLite files, emulator state, Samba DC): AMTPROV_DATA_DIR or ./data. */
export function dataDir(): string {
  return path.resolve(process.env.AMTPROV_DATA_DIR ?? path.join(projectRoot(), 'data'));
}
