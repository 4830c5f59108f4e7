// Picks the site store's backend from its location (AMTPROV_SITE_DB syntax): a PostgreSQL URL,
// `sqlite:<path>`, or a bare path (the variable's meaning before PostgreSQL existed).
import { openPostgresDb } from './postgresDb';
import { openSqliteDb } from './sqliteDb';
import type { SiteDb } from './sql';

export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

export async function openSiteDb(location: string): Promise<SiteDb> {
  if (isPostgresLocation(location)) return openPostgresDb(location);
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(location)) {
    throw new Error(`site store location "${location.replace(/\/\/[^@/]*@/, '//***@')}" is neither a postgres:// URL nor a SQLite path (sqlite:<path>)`);
  }
  return openSqliteDb(location.replace(/^sqlite:/i, ''));
}
