// Remove Provisioning Information (ConfigMgr's console action, issue 11 item 1), one activity
// per step of unprovisionDevice: hold the computer's Hellos, revoke the certificate its device
// serves and remove the device's provisioning data in the chosen mode (WS-Man on modern
// firmware, EOI SOAP before AMT 6), delete its AD account, and report. Each step checks the
// current state first, so a retry or a resumed run converges: a device already in
// pre-provisioning is done, a revoked serial stays revoked once, a missing AD account is gone.
import type { TLSSocket } from 'node:tls';
import { connectDeviceTls } from '../amt/deviceTls';
import { EoiClients } from '../amt/soapClients';
import { WsmanClient } from '../amt/wsmanClient';
import { unprovisionDevice, type UnprovisionMode } from '../amt/wsmanSetup';
import { getSetupAndConfiguration } from '../amt/wsmanSettings';
import { firmwareFamily } from '../contract/firmwareFamilies';
import { PROVISIONING_STATE } from '../contract/provisioning';
import { DirectoryClient } from '../directory';
import type { DeviceRemoval, DirectoryRemoval, UnprovisionReport, UnprovisionTarget } from './maintenanceTypes';
import { auditStep } from './audit';
import { ProvisioningRefused } from '../errors';
import type { ActivityDeps } from './deps';
import { deviceIdentity, provisioningCredential, withDeviceSession } from './deviceAccess';
import { directorySettings } from './directoryAccount';
import { startHeartbeat } from './heartbeat';

function dnsDomainOf(fqdn: string): string {
  return fqdn.split('.').slice(1).join('.');
}

export async function prepareUnprovision(deps: ActivityDeps, input: { uuid: string; deadlineSeconds?: number }): Promise<UnprovisionTarget> {
  const { store } = deps;
  const computer = await store.computers.findByUuid(input.uuid);
  if (!computer) throw new ProvisioningRefused('UnknownDevice', `no imported computer has SMBIOS UUID ${input.uuid}`);
  if (!computer.lastAddress) {
    throw new ProvisioningRefused('DeviceNeverReached', `${computer.netbiosName} was never reached: there is no address to unprovision it at`);
  }
  const [certificate] = await store.provisioningCertificates.matchingDevice(computer.trustedRootHashes, dnsDomainOf(computer.fqdn));
  if (!certificate) {
    throw new ProvisioningRefused('NoTrustedProvisioningCertificate', `no provisioning certificate has a root among the hashes ${computer.netbiosName} trusts`);
  }
  // Held before the device is touched: the Hellos it sends once unprovisioned must not start
  // a provisioning run that races this removal (helloPolicy.ts, "provisioning-held").
  await store.transaction(async (tx) => {
    await tx.computers.setProvisioningHeld(computer.id, true);
    await auditStep({ store: tx }, computer.uuid, 'unprovision.started', 'info', { address: computer.lastAddress });
  });
  return {
    computerId: computer.id, uuid: computer.uuid, fqdn: computer.fqdn, address: computer.lastAddress, certificateId: certificate.id,
    inBandManaged: computer.inBandManaged, trustedRootHashes: computer.trustedRootHashes,
    deadlineSeconds: input.deadlineSeconds ?? (await store.settings.get()).provisioningDeadline,
  };
}

/**
 * The certificate the device serves, if our CA issued it: revoked (superseded) before the
 * device forgets it, as afterwards nothing says which one it was. The site store keeps no
 * list of issued certificates, so what the device presents is the record.
 */
async function revokeServedCertificate(deps: ActivityDeps, target: UnprovisionTarget): Promise<string[]> {
  const computer = await deps.store.computers.get(target.computerId);
  let socket: TLSSocket | undefined;
  try {
    const connected = await connectDeviceTls({
      host: target.address, clientCredential: await provisioningCredential(deps, target.certificateId), identity: await deviceIdentity(deps, computer),
    });
    socket = connected.socket;
    if (connected.certificate.acceptedAs !== 'site-issued') return [];
    const served = connected.peer;
    const { revocation, added } = await deps.store.revocations.revoke({
      serialNumber: served.serialNumber, computerUuid: computer.uuid, fingerprintSha256: connected.certificate.sha256,
      subject: served.subject, notAfter: new Date(served.validTo).toISOString(), reason: 'superseded',
    });
    if (added) await auditStep(deps, computer.uuid, 'unprovision.certificate-revoked', 'info', { serial: revocation.serialNumber, reason: revocation.reason });
    return [revocation.serialNumber];
  } finally {
    socket?.destroy();
  }
}

/** The provisioning state and the unprovision call in the device's dialect. */
interface UnprovisionDialect {
  name: DeviceRemoval['dialect'];
  provisioningState(): Promise<number | undefined>;
  unprovision(mode: UnprovisionMode): Promise<void>;
}

async function connectUnprovisionDialect(version: string, session: WsmanClient['session']): Promise<UnprovisionDialect> {
  if (firmwareFamily(version) === 'modern') {
    const client = new WsmanClient(session);
    return {
      name: 'ws-man',
      provisioningState: async () => (await getSetupAndConfiguration(client)).provisioningState,
      unprovision: (mode) => unprovisionDevice(client, mode),
    };
  }
  const eoi = await EoiClients.connect(session);
  return {
    name: 'eoi-soap',
    provisioningState: () => eoi.getProvisioningState(),
    unprovision: (mode) => (mode === 'full' ? eoi.unprovision() : eoi.partialUnprovision()),
  };
}

export async function removeProvisioningData(deps: ActivityDeps, input: UnprovisionTarget & { mode: UnprovisionMode }): Promise<DeviceRemoval> {
  const revokedSerials = await revokeServedCertificate(deps, input);
  return withDeviceSession(deps, input, async (login, heartbeat) => {
    const computer = await deps.store.computers.get(input.computerId);
    const version = computer.firmwareVersion;
    if (!version) throw new ProvisioningRefused('UnsupportedFirmware', `the firmware version of ${computer.netbiosName} is unknown (a provisioning run records it)`);
    heartbeat.step('provisioning-state');
    const dialect = await connectUnprovisionDialect(version, login.session);
    const state = await dialect.provisioningState();
    // Only post-provisioning holds committed provisioning. In-provisioning (an interrupted run's
    // staged setup, or just our own login: an unprovisioned device enters it on the first
    // Digest request) gets the full call, which drops what is staged and brings the Hellos
    // back; the firmware takes partial only once provisioned.
    const alreadyUnprovisioned = state !== PROVISIONING_STATE.POST_PROVISIONING;
    let performed: DeviceRemoval['performed'] = 'none';
    if (state !== PROVISIONING_STATE.PRE_PROVISIONING) {
      performed = alreadyUnprovisioned ? 'full' : input.mode;
      heartbeat.step(`unprovision-${performed}`);
      await dialect.unprovision(performed);
    }
    await auditStep(deps, computer.uuid, 'unprovision.device', 'success', {
      requested: input.mode, performed, alreadyUnprovisioned, firmware: version, dialect: dialect.name, credential: login.credentialId,
    });
    return { alreadyUnprovisioned, performed, dialect: dialect.name, firmwareVersion: version, revokedSerials };
  });
}

export async function deleteDirectoryAccount(deps: ActivityDeps, input: { computerId: number }): Promise<DirectoryRemoval> {
  const { directory } = await deps.store.settings.get();
  if (!directory) throw new ProvisioningRefused('SiteNotConfigured', 'no directory is configured (amtprov settings apply)');
  const computer = await deps.store.computers.get(input.computerId);
  const heartbeat = startHeartbeat();
  try {
    // The SPNs live on the account: deleting it removes them too.
    const removed = await new DirectoryClient(await directorySettings(deps, directory)).deleteComputerAccount({ ou: directory.computerOu, netbiosName: computer.netbiosName });
    await auditStep(deps, computer.uuid, 'unprovision.directory-account', 'success', { deleted: removed.deleted, dn: removed.dn ?? null });
    return removed;
  } finally {
    heartbeat.stop();
  }
}

export async function reportUnprovisioned(deps: ActivityDeps, input: UnprovisionReport): Promise<void> {
  await deps.store.transaction(async (tx) => {
    if (input.outcome === 'Not Provisioned') {
      await tx.computers.setStatus(input.computerId, 'Not Provisioned', `provisioning removed (${input.mode})${input.holdHellos ? '; no automatic re-provisioning' : ''}`);
    }
    // A failed removal leaves the device as it was: its Hellos are welcome again.
    await tx.computers.setProvisioningHeld(input.computerId, input.outcome === 'Not Provisioned' && input.holdHellos);
    await auditStep({ store: tx }, input.uuid, 'unprovision.finished', input.outcome === 'Failed' ? 'failure' : 'success', {
      outcome: input.outcome, mode: input.mode, holdHellos: input.holdHellos, reason: input.reason ?? null, runId: input.runId,
    });
  });
  deps.log.info('unprovision finished', { uuid: input.uuid, outcome: input.outcome, mode: input.mode, reason: input.reason });
}
