// Reaching one device the way every device activity does: mutual TLS with the chosen
// provisioning certificate (pinning the device's certificate), then Digest login by
// credential rotation over the candidates the store lists (seed step 5). Passwords are
// resolved here, from vault references, and never leave this process.
import { DeviceTlsAgent, type DeviceCertificateAcceptance, type DeviceIdentity, type ProvisioningClientCredential } from '../amt/deviceTls';
import { DeviceCertificateChanged } from '../amt/errors';
import { rotateDigestCredentials, type DigestSession } from '../amt/digestClient';
import type { Computer } from '../site/computers';
import type { DeviceTarget } from './types';
import { auditStep } from './audit';
import { ProvisioningRefused, type ActivityDeps } from './deps';
import { startHeartbeat, type Heartbeat } from './heartbeat';
import { revealSecret } from './secretScope';

export async function provisioningCredential(deps: ActivityDeps, certificateId: number): Promise<ProvisioningClientCredential> {
  const cert = await deps.store.provisioningCertificates.get(certificateId);
  return { chainPem: cert.chainPem, privateKeyPem: await revealSecret(deps.store, cert.keyRef) };
}

export async function deviceIdentity(deps: ActivityDeps, computer: Computer): Promise<DeviceIdentity> {
  const ca = await deps.store.issuingCa.get();
  return {
    ...(computer.deviceCertFingerprint ? { pinnedSha256: computer.deviceCertFingerprint } : {}),
    ...(ca ? { siteIssued: { caChainPem: [ca.certPem, ...ca.chainPem], fqdn: computer.fqdn } } : {}),
  };
}

export async function openDeviceAgent(deps: ActivityDeps, target: DeviceTarget): Promise<DeviceTlsAgent> {
  const computer = await deps.store.computers.get(target.computerId);
  return new DeviceTlsAgent({
    host: target.address,
    clientCredential: await provisioningCredential(deps, target.certificateId),
    identity: await deviceIdentity(deps, computer),
  });
}

/**
 * Pins the device's own certificate on first contact (trust on first use). The certificate
 * phase 1 installs is accepted because our CA issued it for this FQDN, not by pin, so the pin
 * stays the device's own: after a partial or full unprovision the device presents that one
 * again and a new run can still reach it.
 */
export async function recordDevicePin(deps: ActivityDeps, computerId: number, agent: Pick<DeviceTlsAgent, 'lastCertificate'>): Promise<{ fingerprint: string; firstContact: boolean } | undefined> {
  const seen = agent.lastCertificate;
  if (!seen || seen.acceptedAs === 'site-issued') return seen && { fingerprint: seen.sha256, firstContact: false };
  if (await deps.store.computers.pinDeviceCertificate(computerId, seen.sha256) === 'mismatch') {
    // Another activity pinned a different certificate between our connect and now.
    throw new ProvisioningRefused('DeviceCertificateChanged', 'the device certificate changed during the run; an operator must reset the pin (amtprov reset-pin)');
  }
  return { fingerprint: seen.sha256, firstContact: seen.acceptedAs === 'first-contact' };
}

/**
 * An unproven address (ValidatedDevice.addressUnproven) proves itself when the device there
 * shows the pinned certificate or the one the site issued for its FQDN: only then does the
 * computer take the address and become Detected. The provisioning chain has gone there in the
 * handshake (certificates and a signature bound to that session: nothing reusable), and no
 * Digest credential is sent before this check.
 */
export async function proveAddress(deps: ActivityDeps, target: DeviceTarget, acceptedAs: DeviceCertificateAcceptance | undefined): Promise<void> {
  // A computer never reached before has nothing to prove against: its first certificate is pinned now.
  if (!target.addressUnproven || acceptedAs === undefined) return;
  const computer = await deps.store.computers.get(target.computerId);
  await deps.store.transaction(async (tx) => {
    await tx.computers.setStatus(computer.id, 'Detected');
    await tx.computers.setDeviceFacts(computer.id, { lastAddress: target.address });
    await auditStep({ store: tx }, computer.uuid, 'provisioning.address-proven', 'info', { address: target.address, from: computer.lastAddress ?? null, certificate: acceptedAs });
  });
}

/**
 * A device at an unproven address that shows another certificate is not this computer: a
 * security event. The computer keeps its status and address; the run ends ImpostorDevice.
 * At the computer's own address the same mismatch is a changed device (DeviceCertificateChanged).
 */
export async function refuseImpostor(deps: ActivityDeps, target: DeviceTarget, err: unknown): Promise<never> {
  if (!target.addressUnproven || !(err instanceof DeviceCertificateChanged)) throw err;
  const computer = await deps.store.computers.get(target.computerId);
  await auditStep(deps, computer.uuid, 'security.impostor-device', 'failure', {
    address: target.address, knownAddress: computer.lastAddress ?? null, presented: err.presentedSha256, pinned: err.expectedSha256,
  });
  deps.log.warn('impostor: a device claiming this computer presented another certificate', { uuid: computer.uuid, address: target.address });
  throw new ProvisioningRefused('ImpostorDevice',
    `the device at ${target.address} is not ${computer.netbiosName}: it presented certificate ${err.presentedSha256.slice(0, 16)}..., not the pinned ${err.expectedSha256.slice(0, 16)}...; the computer keeps its status and address ${computer.lastAddress ?? '(none)'}`);
}

export interface DeviceLogin {
  session: DigestSession;
  agent: DeviceTlsAgent;
  /** Candidate id that worked, e.g. "admin-pending:3" or "digest-account:2". */
  credentialId: string;
  rejected: number;
}

/**
 * Logs in by rotation. A pending admin password that the device accepts is the one an
 * interrupted attempt set: promote it now, so it is never lost.
 */
export async function loginToDevice(deps: ActivityDeps, target: DeviceTarget): Promise<DeviceLogin> {
  const agent = await openDeviceAgent(deps, target);
  try {
    const candidates = [];
    for (const c of await deps.store.credentials.credentialCandidates(target.computerId)) {
      candidates.push({ id: c.id, username: c.username, password: await revealSecret(deps.store, c.passwordRef), passwordRef: c.passwordRef });
    }
    const rotation = await rotateDigestCredentials(agent, candidates).catch((err: unknown) => refuseImpostor(deps, target, err));
    await recordDevicePin(deps, target.computerId, agent);
    await proveAddress(deps, target, agent.lastCertificate?.acceptedAs);
    const chosen = candidates.find((c) => c.id === rotation.id)!;
    if (rotation.id.startsWith('admin-pending')) {
      await deps.store.credentials.promotePendingAdminPassword(target.computerId, chosen.passwordRef);
      const { uuid } = await deps.store.computers.get(target.computerId);
      await auditStep(deps, uuid, 'provisioning.admin-password-recovered', 'info', { credential: rotation.id });
      deps.log.info('device holds a pending admin password from an interrupted attempt; promoted it', { uuid });
    }
    return { session: rotation.session, agent, credentialId: rotation.id, rejected: rotation.rejected };
  } catch (err) {
    agent.destroy();
    throw err;
  }
}

/** Runs fn with a logged-in session, heartbeating; a cancelled activity drops its device connections. */
export async function withDeviceSession<T>(deps: ActivityDeps, target: DeviceTarget, fn: (login: DeviceLogin, heartbeat: Heartbeat) => Promise<T>): Promise<T> {
  let agent: DeviceTlsAgent | undefined;
  const heartbeat = startHeartbeat(() => agent?.destroy());
  try {
    heartbeat.step('login');
    const login = await loginToDevice(deps, target);
    agent = login.agent;
    return await fn(login, heartbeat);
  } finally {
    heartbeat.stop();
    agent?.destroy();
  }
}
