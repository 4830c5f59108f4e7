// Discover AMT Status for one computer: look at its device (TLS, then a Digest login and two
// reads), classify what was seen (amtClassification.ts) and record status, firmware version
// and audit. Read-only towards the device: nothing is set, no pin is taken, and a device that
// shows a foreign certificate gets no credential at all.
import { connectDeviceTls, DeviceTlsAgent } from '../amt/deviceTls';
import { rotateDigestCredentials } from '../amt/digestClient';
import { AllCredentialsRejected, DeviceCertificateChanged, DeviceTlsFailed, DeviceUnreachable } from '../amt/errors';
import { EoiClients } from '../amt/soapClients';
import { WsmanClient } from '../amt/wsmanClient';
import { getAmtFirmwareVersion, getSetupAndConfiguration } from '../amt/wsmanSettings';
import { firmwareFamily } from '../contract/firmwareFamilies';
import type { Computer } from '../site/computers';
import { classifyAmtStatus, type DiscoveryObservation } from './amtClassification';
import type { DiscoveryResult } from './maintenanceTypes';
import { auditStep } from './audit';
import { ProvisioningRefused } from '../errors';
import type { ActivityDeps } from './deps';
import { deviceIdentity, provisioningCredential } from './deviceAccess';
import { startHeartbeat } from './heartbeat';
import { revealSecret } from './secretScope';

export async function listComputerUuids(deps: ActivityDeps): Promise<string[]> {
  return (await deps.store.computers.list()).map((c) => c.uuid);
}

/** The provisioning certificate to present: one whose root the device trusts, else any (a device in post-provisioning asks for none). */
async function certificateFor(deps: ActivityDeps, computer: Computer): Promise<number | undefined> {
  const all = deps.store.provisioningCertificates;
  return ((await all.matchingDevice(computer.trustedRootHashes))[0] ?? (await all.list())[0])?.id;
}

async function observe(deps: ActivityDeps, computer: Computer, address: string, certificateId: number): Promise<DiscoveryObservation> {
  const clientCredential = await provisioningCredential(deps, certificateId);
  const identity = await deviceIdentity(deps, computer);
  let tls: DiscoveryObservation['tls'];
  try {
    const { socket, certificate } = await connectDeviceTls({ host: address, clientCredential, identity });
    socket.destroy();
    tls = certificate.acceptedAs;
  } catch (err) {
    if (err instanceof DeviceCertificateChanged) return { address, tls: 'foreign' };
    if (err instanceof DeviceUnreachable || err instanceof DeviceTlsFailed) return { address, tls: 'no-answer' };
    throw err;
  }
  const agent = new DeviceTlsAgent({ host: address, clientCredential, identity });
  try {
    const candidates = await Promise.all((await deps.store.credentials.credentialCandidates(computer.id)).map(async (c) => ({
      id: c.id, username: c.username, password: await revealSecret(deps.store, c.passwordRef),
    })));
    let rotation;
    try {
      rotation = await rotateDigestCredentials(agent, candidates);
    } catch (err) {
      if (err instanceof AllCredentialsRejected) return { address, tls, login: { accepted: false } };
      throw err;
    }
    const wsman = new WsmanClient(rotation.session);
    const firmwareVersion = await getAmtFirmwareVersion(wsman);
    const early = firmwareVersion !== undefined && /^\d/.test(firmwareVersion) && firmwareFamily(firmwareVersion) === 'early';
    const provisioningState = early
      ? await (await EoiClients.connect(rotation.session)).getProvisioningState()
      : (await getSetupAndConfiguration(wsman)).provisioningState;
    return { address, tls, login: { accepted: true, credential: rotation.id }, firmwareVersion, provisioningState };
  } finally {
    agent.destroy();
  }
}

export async function discoverComputer(deps: ActivityDeps, input: { uuid: string }): Promise<DiscoveryResult> {
  const { store } = deps;
  const computer = await store.computers.findByUuid(input.uuid);
  if (!computer) throw new ProvisioningRefused('UnknownDevice', `no imported computer has SMBIOS UUID ${input.uuid}`);
  const certificateId = await certificateFor(deps, computer);
  if (certificateId === undefined) throw new ProvisioningRefused('SiteNotConfigured', 'no provisioning certificate is registered (amtprov certs add)');
  const heartbeat = startHeartbeat();
  let seen: DiscoveryObservation;
  try {
    seen = computer.lastAddress ? await observe(deps, computer, computer.lastAddress, certificateId) : { tls: 'no-answer' };
  } finally {
    heartbeat.stop();
  }
  const { status, reason } = classifyAmtStatus(seen);
  const version = seen.firmwareVersion !== undefined && /^\d+(\.\d+){0,3}$/.test(seen.firmwareVersion) ? seen.firmwareVersion : undefined;
  await store.transaction(async (tx) => {
    if (version) await tx.computers.setDeviceFacts(computer.id, { firmwareVersion: version });
    // Confirming Provisioned keeps the computer's provisioning time.
    if (status !== 'Provisioned' || computer.amtStatus !== 'Provisioned') await tx.computers.setStatus(computer.id, status, status === 'Provisioned' ? undefined : reason);
    await auditStep({ store: tx }, computer.uuid, 'discovery.classified', 'info', {
      status, previous: computer.amtStatus, reason, tls: seen.tls, firmware: version ?? null, address: seen.address ?? null,
    });
  });
  return { uuid: computer.uuid, status, reason, ...(version ? { firmwareVersion: version, firmwareFamily: firmwareFamily(version) } : {}) };
}
