// Seed steps 4.2 and 4.3 as their own stages, so an operator sees "TLS refused" apart from
// "no credential accepted": the mutual TLS handshake (pinning the device certificate on
// first contact) and the Digest login by credential rotation.
import { connectDeviceTls } from '../amt/deviceTls';
import { EoiClients } from '../amt/soapClients';
import type { DeviceTarget, DigestLoginResult, TlsResult } from './types';
import type { ActivityDeps } from './deps';
import { auditStep } from './audit';
import { deviceIdentity, loginToDevice, provisioningCredential, recordDevicePin } from './deviceAccess';

export async function tlsHandshake(deps: ActivityDeps, target: DeviceTarget): Promise<TlsResult> {
  const computer = deps.store.computers.get(target.computerId);
  const { socket, certificate } = await connectDeviceTls({
    host: target.address,
    clientCredential: provisioningCredential(deps, target.certificateId),
    identity: deviceIdentity(deps, computer),
  });
  socket.destroy();
  recordDevicePin(deps, computer.id, { lastCertificate: certificate });
  if (certificate.acceptedAs === 'first-contact') {
    auditStep(deps, computer.uuid, 'provisioning.device-certificate-pinned', 'info', { sha256: certificate.sha256 });
  }
  return { fingerprint: certificate.sha256, firstContact: certificate.acceptedAs === 'first-contact' };
}

export async function digestLogin(deps: ActivityDeps, target: DeviceTarget): Promise<DigestLoginResult> {
  const login = await loginToDevice(deps, target);
  try {
    // The firmware version decides the directory account's Kerberos encryption types.
    const firmwareVersion = await (await EoiClients.connect(login.session)).getCoreVersion();
    const computer = deps.store.computers.setDeviceFacts(target.computerId, { firmwareVersion });
    auditStep(deps, computer.uuid, 'provisioning.digest-login', 'success', { credential: login.credentialId, rejectedBefore: login.rejected, firmware: firmwareVersion });
    return { credential: login.credentialId, rejected: login.rejected };
  } finally {
    login.agent.destroy();
  }
}
