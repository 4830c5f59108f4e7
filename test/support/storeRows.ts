// Row counts straight from the site store's tables, for tests that check nothing was left
// behind (orphaned secrets, half-written imports) on either backend.
import type { SiteStoreView } from '../../src/site/store';

export async function countRows(store: SiteStoreView, table: string): Promise<number> {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`not a table name: ${table}`);
  return (await store.db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n;
}
