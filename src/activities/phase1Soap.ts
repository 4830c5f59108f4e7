// Seed steps 7.1-7.6, the SOAP first stage: time sync, host name and domain, the device's
// TLS certificate from the site CA, a random admin password (stored as pending before the
// device sees it), the MEBx password per policy, and commit. Re-running it is safe: a device
// already past commit is left alone, and staged-but-uncommitted setup is simply redone.
import { X509Certificate } from 'node:crypto';
import { AmtStatusError } from '../amt/errors';
import { EoiClients } from '../amt/soapClients';
import { AMT_ADMIN_USERNAME, PROVISIONING_STATE } from '../contract/provisioning';
import { PT_STATUS } from '../contract/ptStatus';
import { issueDeviceCertificate } from '../pki/deviceCertificate';
import { generateAmtPassword } from '../site/amtPassword';
import type { DeviceTarget, StageReport } from './types';
import { ProvisioningRefused, type ActivityDeps } from './deps';
import { auditStep } from './audit';
import { withDeviceSession } from './deviceAccess';
import type { Heartbeat } from './heartbeat';
import { remember, revealSecret } from './secretScope';

/** Refusals that mean "this firmware or its state does not allow a MEBx change": not an error. */
const MEBX_NOT_ALLOWED = new Set<number>([PT_STATUS.NOT_PERMITTED, PT_STATUS.UNSUPPORTED]);

function splitFqdn(fqdn: string): { hostName: string; domain: string } {
  const [hostName, ...rest] = fqdn.toLowerCase().split('.');
  return { hostName: hostName, domain: rest.join('.') };
}

async function installTlsCertificate(deps: ActivityDeps, eoi: EoiClients, fqdn: string): Promise<string> {
  const keyPair = await eoi.generateKeyPair();
  const csrDer = await eoi.getPkcs10Request(keyPair, `CN=${fqdn}`);
  const issued = issueDeviceCertificate({ fqdn, key: { csrDer }, ...(deps.now ? { now: deps.now() } : {}) }, deps.store.issuingCa.loadIssuer());
  // The CA chain first, so the device can present it with its certificate after commit.
  for (const pem of [...issued.chainPem].reverse()) {
    try {
      await eoi.addCertificate(new X509Certificate(pem).raw);
    } catch (err) {
      // A retried attempt finds the CA certificates already stored.
      if (!(err instanceof AmtStatusError && err.status === PT_STATUS.DUPLICATE)) throw err;
    }
  }
  const certificate = await eoi.addCertificate(new X509Certificate(issued.certPem).raw);
  await eoi.setTlsKeyAndCertificate(keyPair, certificate);
  await eoi.setTlsEnabled(true);
  return issued.fingerprintSha256;
}

async function setMebxPassword(deps: ActivityDeps, eoi: EoiClients, computerId: number): Promise<string> {
  const { mebx } = deps.store.settings.get().amt;
  if (mebx.policy === 'never' || !mebx.password) return 'mebx: left alone (policy never)';
  const password = revealSecret(deps.store, mebx.password);
  // Stored for this computer before the device gets it.
  deps.store.computers.setSecret(computerId, 'mebx-password', password);
  try {
    await eoi.setMebxPassword(password);
    return 'mebx: set';
  } catch (err) {
    if (err instanceof AmtStatusError && MEBX_NOT_ALLOWED.has(err.status)) return `mebx: not changed (${err.statusName})`;
    throw err;
  }
}

async function provisionFirstStage(deps: ActivityDeps, target: DeviceTarget, eoi: EoiClients, realm: string, heartbeat: Heartbeat): Promise<string[]> {
  const { store } = deps;
  const computer = store.computers.get(target.computerId);
  const steps: string[] = [];
  const nowSeconds = (): number => Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);

  heartbeat.step('time-sync');
  await eoi.synchronizeClock(nowSeconds);
  steps.push('time synchronized');

  heartbeat.step('host-name');
  const { hostName, domain } = splitFqdn(computer.fqdn);
  await eoi.setHostName(hostName);
  await eoi.setDomainName(domain);
  steps.push(`host name ${hostName}, domain ${domain}`);

  heartbeat.step('tls-certificate');
  const fingerprint = await installTlsCertificate(deps, eoi, computer.fqdn);
  steps.push(`TLS certificate issued for ${computer.fqdn} (sha256 ${fingerprint.slice(0, 16)}...)`);

  heartbeat.step('admin-password');
  const adminPassword = generateAmtPassword(24);
  remember(adminPassword);
  const pendingRef = store.credentials.stagePendingAdminPassword(computer.id, adminPassword);
  await eoi.setAdminAclEntry(AMT_ADMIN_USERNAME, adminPassword, realm);
  steps.push('admin password set (stored as pending first)');

  heartbeat.step('mebx-password');
  steps.push(await setMebxPassword(deps, eoi, computer.id));

  heartbeat.step('commit');
  await eoi.commitChanges();
  store.credentials.promotePendingAdminPassword(computer.id, pendingRef);
  steps.push('committed');
  return steps;
}

export async function phase1Soap(deps: ActivityDeps, target: DeviceTarget): Promise<StageReport> {
  return withDeviceSession(deps, target, async (login, heartbeat) => {
    const { store } = deps;
    const computer = store.computers.get(target.computerId);
    const eoi = await EoiClients.connect(login.session);
    const version = await eoi.getCoreVersion();
    store.computers.setDeviceFacts(computer.id, { firmwareVersion: version });
    if (await eoi.getProvisioningState() === PROVISIONING_STATE.POST_PROVISIONING) {
      return { steps: [`already in post-provisioning (firmware ${version}); first stage done earlier`] };
    }
    // The realm is part of the admin password's digest; guessing it would lock us out.
    const realm = login.session.realm;
    if (!realm) throw new ProvisioningRefused('DigestRealmUnknown', 'the device sent no Digest realm; cannot set the admin password');
    const steps = await provisionFirstStage(deps, target, eoi, realm, heartbeat);
    auditStep(deps, computer.uuid, 'provisioning.phase1', 'success', { firmware: version, steps: steps.length });
    return { steps };
  });
}
