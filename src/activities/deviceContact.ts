// Seed steps 4.2 and 4.3 as their own stages, so an operator sees "TLS refused" apart from
// "no credential accepted": the mutual TLS handshake (pinning the device certificate on
// first contact) and the Digest login by credential rotation.
import { connectDeviceTls } from '../amt/deviceTls';
import { WsmanClient } from '../amt/wsmanClient';
import { getAmtFirmwareVersion } from '../amt/wsmanSettings';
import { firmwareFamily, OLDEST_SUPPORTED_VERSION, versionAtLeast } from '../contract/firmwareFamilies';
import type { DeviceTarget, DigestLoginResult, TlsResult } from './types';
import { ProvisioningRefused, type ActivityDeps } from './deps';
import { auditStep } from './audit';
import { deviceIdentity, loginToDevice, proveAddress, provisioningCredential, recordDevicePin, refuseImpostor } from './deviceAccess';

export async function tlsHandshake(deps: ActivityDeps, target: DeviceTarget): Promise<TlsResult> {
  const computer = await deps.store.computers.get(target.computerId);
  const { socket, certificate } = await connectDeviceTls({
    host: target.address,
    clientCredential: await provisioningCredential(deps, target.certificateId),
    identity: await deviceIdentity(deps, computer),
  }).catch((err: unknown) => refuseImpostor(deps, target, err));
  socket.destroy();
  await recordDevicePin(deps, computer.id, { lastCertificate: certificate });
  await proveAddress(deps, target, certificate.acceptedAs);
  if (certificate.acceptedAs === 'first-contact') {
    await auditStep(deps, computer.uuid, 'provisioning.device-certificate-pinned', 'info', { sha256: certificate.sha256 });
  }
  return { fingerprint: certificate.sha256, firstContact: certificate.acceptedAs === 'first-contact' };
}

const VERSION_FORMAT = /^\d+(\.\d+){0,3}$/;

/** Why this project does not provision the release the device reports; undefined if it does. */
function unsupportedFirmware(version: string | undefined): string | undefined {
  if (version === undefined) return 'the device reports no AMT firmware identity (CIM_SoftwareIdentity "AMT")';
  if (!VERSION_FORMAT.test(version)) return `the device reports an unreadable firmware version "${version.slice(0, 40)}"`;
  if (!versionAtLeast(version, OLDEST_SUPPORTED_VERSION)) return `AMT ${version} is older than ${OLDEST_SUPPORTED_VERSION.join('.')}, the oldest release provisioned`;
  return undefined;
}

export async function digestLogin(deps: ActivityDeps, target: DeviceTarget): Promise<DigestLoginResult> {
  const login = await loginToDevice(deps, target);
  try {
    // The version decides the first stage's dialect and the directory account's Kerberos
    // encryption types; WS-Man reports it on both families.
    const version = await getAmtFirmwareVersion(new WsmanClient(login.session));
    const { uuid } = await deps.store.computers.get(target.computerId);
    if (version !== undefined && VERSION_FORMAT.test(version)) await deps.store.computers.setDeviceFacts(target.computerId, { firmwareVersion: version });
    const refusal = unsupportedFirmware(version);
    if (refusal !== undefined) {
      await auditStep(deps, uuid, 'provisioning.digest-login', 'failure', { credential: login.credentialId, reason: 'unsupported-firmware' });
      throw new ProvisioningRefused('UnsupportedFirmware', refusal);
    }
    await auditStep(deps, uuid, 'provisioning.digest-login', 'success', {
      credential: login.credentialId, rejectedBefore: login.rejected, firmware: version!, family: firmwareFamily(version!),
    });
    return { credential: login.credentialId, rejected: login.rejected };
  } finally {
    login.agent.destroy();
  }
}
