// A safety net under "secrets never in errors": every secret an activity reads from the
// vault is remembered for the duration of that activity, and the failure interceptor blanks
// any of them out of the error before it is logged or recorded in workflow history.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SiteStore } from '../site/store';

const revealed = new AsyncLocalStorage<Set<string>>();

export function withSecretScope<T>(fn: () => Promise<T>): Promise<T> {
  return revealed.run(new Set(), fn);
}

/** Reads a secret from the vault and registers it for redaction in this activity. */
export async function revealSecret(store: SiteStore, ref: string): Promise<string> {
  const value = await store.vault.getSecret(ref);
  remember(value);
  return value;
}

/** Registers a secret made inside the activity (a fresh random password). */
export function remember(value: string): void {
  // Very short values would blank out ordinary words; AMT and AD passwords are 8+ characters.
  if (value.length >= 6) revealed.getStore()?.add(value);
}

export function redact(text: string): string {
  const secrets = revealed.getStore();
  if (!secrets) return text;
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('[redacted]');
  return result;
}
