// The device's admin password lifecycle (DESIGN.md: "a secret is stored before it is used")
// and the ordered Digest credentials to try against a device (seed step 5).
//
// stage -> send to device -> promote. A crash between stage and promote leaves the new
// password pending; the next attempt finds it among the candidates, so no password the
// device may hold is ever lost (Intel RPS loses it here).
import { AMT_ADMIN_USERNAME } from '../contract/provisioning';
import { lockComputer } from './computers';
import type { SiteStoreView } from './store';
import type { SecretRef } from './vault';

export type CredentialSource = 'admin-current' | 'admin-pending' | 'admin-imported' | 'admin-mebx' | 'digest-account';

export interface CredentialCandidate {
  /** Stable within a run: "admin-current", "admin-pending:<n>", "admin-imported", "digest-account:<n>". */
  id: string;
  source: CredentialSource;
  username: string;
  passwordRef: SecretRef;
}

// Concurrency: staging and promoting hold the computer's row lock (lockRow) for their whole
// transaction. Promotion reads the pending list and then deletes every pending row; without
// the lock a password staged by another role between the two would be deleted unseen (its
// secret orphaned, the device perhaps holding it), and two promotions of different pending
// passwords could both "win". Under the lock the second promotion sees the first's result.
export class AdminCredentials {
  constructor(private readonly store: SiteStoreView) {}

  /**
   * Writes a new admin password as pending before the device receives it. Earlier pending
   * passwords stay: an interrupted attempt may have set one of them on the device, and
   * only the device's confirmation (promote) tells which one it holds.
   */
  stagePendingAdminPassword(computerId: number, password: string): Promise<SecretRef> {
    return this.store.transaction(async (tx) => {
      await lockComputer(tx, computerId);
      const ref = await tx.vault.putSecret('admin-password', password);
      await tx.db.run('INSERT INTO pending_admin_passwords (computer_id, password_ref, staged_at) VALUES (?, ?, ?)',
        [computerId, ref, this.store.now().toISOString()]);
      return ref;
    });
  }

  /** Pending refs, newest first (the newest is the likeliest to be on the device). */
  async pendingAdminPasswords(computerId: number): Promise<{ pendingId: number; passwordRef: SecretRef; stagedAt: string }[]> {
    return (await this.store.db.all<{ id: number; password_ref: string; staged_at: string }>(
      'SELECT id, password_ref, staged_at FROM pending_admin_passwords WHERE computer_id = ? ORDER BY id DESC', [computerId]))
      .map((row) => ({ pendingId: row.id, passwordRef: row.password_ref, stagedAt: row.staged_at }));
  }

  /**
   * After the device confirmed a pending password (it accepted it, or a Digest login with it
   * succeeded): it becomes current; the previous current and all other pending ones are
   * deleted. Without `passwordRef` the newest pending is promoted. Idempotent: promoting the
   * password that is already current changes nothing.
   */
  promotePendingAdminPassword(computerId: number, passwordRef?: SecretRef): Promise<SecretRef> {
    return this.store.transaction(async (tx) => {
      await lockComputer(tx, computerId);
      const current = (await tx.computers.get(computerId)).secretRefs.adminPassword;
      const pending = await tx.credentials.pendingAdminPasswords(computerId);
      if (passwordRef !== undefined && passwordRef === current && !pending.some((p) => p.passwordRef === passwordRef)) {
        return current;
      }
      const chosen = passwordRef === undefined ? pending[0] : pending.find((p) => p.passwordRef === passwordRef);
      if (!chosen) {
        throw new Error(passwordRef === undefined
          ? `computer ${computerId} has no pending admin password to promote`
          : `${passwordRef} is neither a pending nor the current admin password of computer ${computerId}`);
      }
      await tx.db.run('UPDATE computers SET admin_password_ref = ?, updated_at = ? WHERE id = ?',
        [chosen.passwordRef, this.store.now().toISOString(), computerId]);
      await tx.db.run('DELETE FROM pending_admin_passwords WHERE computer_id = ?', [computerId]);
      for (const p of pending) if (p.passwordRef !== chosen.passwordRef) await tx.vault.deleteSecret(p.passwordRef);
      if (current !== null && current !== chosen.passwordRef) await tx.vault.deleteSecret(current);
      return chosen.passwordRef;
    });
  }

  /**
   * The credentials to try, in order: current admin password, pending ones from interrupted
   * attempts (newest first), the imported admin password, the computer's MEBx password (a fully
   * unprovisioned device's admin account is `admin` with its MEBx password, which the import
   * may have given or an earlier run may have set), then the site's Digest accounts.
   */
  credentialCandidates(computerId: number): Promise<CredentialCandidate[]> {
    return this.store.transaction(async (tx) => {
      const refs = (await tx.computers.get(computerId)).secretRefs;
      const candidates: CredentialCandidate[] = [];
      if (refs.adminPassword) {
        candidates.push({ id: 'admin-current', source: 'admin-current', username: AMT_ADMIN_USERNAME, passwordRef: refs.adminPassword });
      }
      for (const p of await tx.credentials.pendingAdminPasswords(computerId)) {
        candidates.push({ id: `admin-pending:${p.pendingId}`, source: 'admin-pending', username: AMT_ADMIN_USERNAME, passwordRef: p.passwordRef });
      }
      if (refs.importedAdminPassword) {
        candidates.push({ id: 'admin-imported', source: 'admin-imported', username: AMT_ADMIN_USERNAME, passwordRef: refs.importedAdminPassword });
      }
      if (refs.mebxPassword) {
        candidates.push({ id: 'admin-mebx', source: 'admin-mebx', username: AMT_ADMIN_USERNAME, passwordRef: refs.mebxPassword });
      }
      const accounts = await tx.db.all<{ id: number; username: string; password_ref: string }>(
        'SELECT id, username, password_ref FROM digest_accounts ORDER BY position');
      for (const account of accounts) {
        candidates.push({ id: `digest-account:${account.id}`, source: 'digest-account', username: account.username, passwordRef: account.password_ref });
      }
      return candidates;
    });
  }
}
