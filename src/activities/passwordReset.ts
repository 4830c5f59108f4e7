// Admin password reset of one provisioned device (issue 11 item 3; docs/amt-protocol.md section
// 12), with phase 1's pending-first rule and its code (src/site/adminCredentials.ts): the new
// random password is stored as pending before the device receives it and promoted once the
// device accepted it. After a crash in between, the next attempt's Digest rotation
// (deviceAccess.ts loginToDevice) finds the device accepting the pending password and promotes
// it: nothing is lost, and that attempt's rotation is the reset.
import { AMT_ADMIN_USERNAME } from '../contract/provisioning';
import { generateAmtPassword } from '../site/amtPassword';
import { ProvisioningRefused } from '../errors';
import type { ActivityDeps } from './deps';
import { auditStep } from './audit';
import { withDeviceSession } from './deviceAccess';
import type { MaintenanceTarget, PasswordResetOutcome } from './scheduledMaintenanceTypes';
import { connectDialect } from './phase1';
import { remember } from './secretScope';

export async function resetAdminPassword(deps: ActivityDeps, target: MaintenanceTarget): Promise<PasswordResetOutcome> {
  return withDeviceSession(deps, target, async (login, heartbeat) => {
    const { store } = deps;
    const computer = await store.computers.get(target.computerId);
    if (login.credentialId.startsWith('admin-pending')) {
      await auditStep(deps, computer.uuid, 'maintenance.password-reset', 'success', { outcome: 'recovered', credential: login.credentialId });
      return { outcome: 'recovered' };
    }
    const realm = login.session.realm;
    if (!realm) throw new ProvisioningRefused('DigestRealmUnknown', 'the device sent no Digest realm; cannot set the admin password');
    // The admin account's dialect: SetAdminAclEntryEx over WS-Man, SetAdminAclEntry over EOI.
    const dialect = await connectDialect(computer.firmwareVersion, login.session);
    heartbeat.step('admin-password');
    const password = generateAmtPassword(24);
    remember(password);
    const pendingRef = await store.credentials.stagePendingAdminPassword(computer.id, password);
    await dialect.setAdminAclEntry(AMT_ADMIN_USERNAME, password, realm);
    await store.credentials.promotePendingAdminPassword(computer.id, pendingRef);
    await auditStep(deps, computer.uuid, 'maintenance.password-reset', 'success', { outcome: 'set', dialect: dialect.name });
    return { outcome: 'set' };
  });
}
