// Seed steps 7.1-7.6, the first stage, in the device's own dialect: EOI SOAP on early firmware,
// WS-Management from AMT 6 on (docs/amt-protocol.md sections 5 and 9). This module holds what
// both share: the order, the admin password stored as pending before the device sees it and
// promoted after commit, the MEBx policy, the FQDN split and the audit. Re-running it is safe:
// a device already past commit is left alone, and staged-but-uncommitted setup is redone.
import { isSiteIssued } from '../amt/deviceTls';
import { AmtStatusError } from '../amt/errors';
import { AMT_ADMIN_USERNAME, PROVISIONING_STATE } from '../contract/provisioning';
import { firmwareFamily } from '../contract/firmwareFamilies';
import { PT_STATUS } from '../contract/ptStatus';
import type { DigestSession } from '../amt/digestClient';
import { issueDeviceCertificate } from '../pki/deviceCertificate';
import { generateAmtPassword } from '../site/amtPassword';
import type { Computer } from '../site/computers';
import type { DeviceTarget, StageReport } from './types';
import { ProvisioningRefused, type ActivityDeps } from './deps';
import { auditStep } from './audit';
import { deviceIdentity, withDeviceSession } from './deviceAccess';
import type { Heartbeat } from './heartbeat';
import type { DeviceCertificateAuthority, Phase1Dialect } from './phase1Dialect';
import { connectEoiDialect } from './phase1Eoi';
import { connectWsmanDialect } from './phase1Wsman';
import { remember, revealSecret } from './secretScope';

/** Refusals that mean "this firmware or its state does not allow a MEBx change": not an error. */
const MEBX_NOT_ALLOWED = new Set<number>([PT_STATUS.NOT_PERMITTED, PT_STATUS.UNSUPPORTED]);

function splitFqdn(fqdn: string): { hostName: string; domain: string } {
  const [hostName, ...rest] = fqdn.toLowerCase().split('.');
  return { hostName: hostName, domain: rest.join('.') };
}

async function setMebxPassword(deps: ActivityDeps, dialect: Phase1Dialect, computerId: number): Promise<string> {
  const { mebx } = (await deps.store.settings.get()).amt;
  if (mebx.policy === 'never' || !mebx.password) return 'mebx: left alone (policy never)';
  const password = await revealSecret(deps.store, mebx.password);
  // Stored for this computer before the device gets it.
  await deps.store.computers.setSecret(computerId, 'mebx-password', password);
  try {
    await dialect.setMebxPassword(password);
    return 'mebx: set';
  } catch (err) {
    if (err instanceof AmtStatusError && MEBX_NOT_ALLOWED.has(err.status)) return `mebx: not changed (${err.statusName})`;
    throw err;
  }
}

async function provisionFirstStage(deps: ActivityDeps, target: DeviceTarget, dialect: Phase1Dialect, ca: DeviceCertificateAuthority, realm: string, heartbeat: Heartbeat): Promise<{ steps: string[]; tls: string }> {
  const { store } = deps;
  const computer = await store.computers.get(target.computerId);
  const steps: string[] = [];
  const nowSeconds = (): number => Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);

  heartbeat.step('time-sync');
  await dialect.synchronizeClock(nowSeconds);
  steps.push('time synchronized');

  heartbeat.step('host-name');
  const { hostName, domain } = splitFqdn(computer.fqdn);
  await dialect.setHostAndDomainName(hostName, domain);
  steps.push(`host name ${hostName}, domain ${domain}`);

  heartbeat.step('tls-certificate');
  const tls = await dialect.installTlsCertificate(ca);
  steps.push(tls);

  heartbeat.step('admin-password');
  const adminPassword = generateAmtPassword(24);
  remember(adminPassword);
  const pendingRef = await store.credentials.stagePendingAdminPassword(computer.id, adminPassword);
  await dialect.setAdminAclEntry(AMT_ADMIN_USERNAME, adminPassword, realm);
  steps.push('admin password set (stored as pending first)');

  heartbeat.step('mebx-password');
  steps.push(await setMebxPassword(deps, dialect, computer.id));

  heartbeat.step('commit');
  await dialect.commitChanges();
  await store.credentials.promotePendingAdminPassword(computer.id, pendingRef);
  steps.push('committed');
  return { steps, tls };
}

async function certificateAuthority(deps: ActivityDeps, computer: Computer): Promise<DeviceCertificateAuthority> {
  const { fqdn } = computer;
  const site = (await deviceIdentity(deps, computer)).siteIssued;
  const now = (): Date => deps.now?.() ?? new Date();
  return {
    fqdn,
    issue: async (key) => issueDeviceCertificate({ fqdn, key, now: now() }, await deps.store.issuingCa.loadIssuer()),
    // A day of validity left at least, so a kept certificate does not expire under the run.
    accepts: (der) => site !== undefined && isSiteIssued(der, site, new Date(now().getTime() + 86_400_000)) && isSiteIssued(der, site, now()),
  };
}

/** The dialect of the firmware digestLogin recorded for this computer. */
async function connectDialect(firmwareVersion: string | null, session: DigestSession): Promise<Phase1Dialect> {
  if (!firmwareVersion) throw new ProvisioningRefused('UnsupportedFirmware', 'the firmware version is unknown (the digest stage records it)');
  return firmwareFamily(firmwareVersion) === 'modern' ? connectWsmanDialect(session) : connectEoiDialect(session);
}

export async function phase1(deps: ActivityDeps, target: DeviceTarget): Promise<StageReport> {
  return withDeviceSession(deps, target, async (login, heartbeat) => {
    const { store } = deps;
    const computer = await store.computers.get(target.computerId);
    const version = computer.firmwareVersion;
    const dialect = await connectDialect(version, login.session);
    if (await dialect.provisioningState() === PROVISIONING_STATE.POST_PROVISIONING) {
      await auditStep(deps, computer.uuid, 'provisioning.phase1', 'success', { firmware: version, dialect: dialect.name, steps: 0, alreadyDone: true });
      return { steps: [`already in post-provisioning (firmware ${version}, ${dialect.name}); first stage done earlier`] };
    }
    // The realm is part of the admin password's digest; guessing it would lock us out.
    const realm = login.session.realm;
    if (!realm) throw new ProvisioningRefused('DigestRealmUnknown', 'the device sent no Digest realm; cannot set the admin password');
    const ca = await certificateAuthority(deps, computer);
    const { steps, tls } = await provisionFirstStage(deps, target, dialect, ca, realm, heartbeat);
    // What the TLS step found and did (issued, kept, leftovers removed) is worth an operator's eye.
    await auditStep(deps, computer.uuid, 'provisioning.phase1', 'success', { firmware: version, dialect: dialect.name, steps: steps.length, tls });
    return { steps };
  });
}
