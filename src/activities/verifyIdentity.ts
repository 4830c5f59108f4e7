// In-band only (docs/amt-protocol.md section 7, step 4): the device proves it is the computer
// whose agent asked for provisioning by presenting the one-time password the agent set in
// its firmware. Only hashes are compared (constant time); nothing on the device changes.
import { createHash, timingSafeEqual } from 'node:crypto';
import { WsmanClient } from '../amt/wsmanClient';
import { getSetupAndConfiguration } from '../amt/wsmanSettings';
import type { DeviceTarget } from './types';
import { auditStep } from './audit';
import { ProvisioningRefused, type ActivityDeps } from './deps';
import { withDeviceSession } from './deviceAccess';
import { remember, revealSecret } from './secretScope';

/** SHA-256 of the OTP's bytes, as the agent registered it (src/agent/oneTimePassword.ts hashes the same bytes). */
export function otpHash(otp: Buffer): string {
  return createHash('sha256').update(otp).digest('hex');
}

export async function verifyIdentity(deps: ActivityDeps, target: DeviceTarget): Promise<void> {
  const { store } = deps;
  const computer = await store.computers.get(target.computerId);
  const ref = await store.inBand.otpHashRef(computer.id);
  if (!ref) throw new ProvisioningRefused('IdentityNotVerified', `identity not verified: no agent registration with an OTP for ${computer.netbiosName}`);
  const expected = Buffer.from(await revealSecret(store, ref), 'hex');
  const presented = await withDeviceSession(deps, target, async ({ session }) => (await getSetupAndConfiguration(new WsmanClient(session))).provisioningServerOtp);
  // ProvisioningServerOTP is an octet string: WS-Man carries it base64-encoded, and the
  // agent hashed the OTP's bytes, not their base64 text.
  const otp = Buffer.from(presented ?? '', 'base64');
  if (presented) {
    remember(presented);
    remember(otp.toString('utf8'));
  }
  const actual = Buffer.from(otpHash(otp), 'hex');
  if (!presented || actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    await auditStep(deps, computer.uuid, 'provisioning.identity', 'failure', { reason: presented ? 'otp-mismatch' : 'no-otp-presented' });
    throw new ProvisioningRefused('IdentityNotVerified',
      `identity not verified: ${presented ? 'the OTP the device presents does not match the one its agent registered' : 'the device presents no OTP'}`);
  }
  // The registration is forgotten when the run reports (reportResult), not here: a retried
  // attempt of this activity must still find it.
  await auditStep(deps, computer.uuid, 'provisioning.identity', 'success');
}
