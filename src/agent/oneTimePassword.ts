// The one-time password the agent sets in the firmware and whose hash it registers with the
// site (docs/amt-protocol.md section 7, step 2). The firmware's rule comes from the host interface
// (PTHI CFG_SetProvisioningServerOTP as the emulator documents it: 8-32 printable ASCII
// characters; section 7 is silent). The hash is SHA-256 over the OTP's bytes, lowercase hex;
// the run's identity check (src/activities/verifyIdentity.ts) hashes the same bytes.
import { createHash, randomBytes } from 'node:crypto';

export const OTP_RULE = /^[\x21-\x7e]{8,32}$/;

/** 32 characters of base64url over 24 random bytes: 192 bits, the longest OTP the firmware takes. */
export function makeOneTimePassword(): string {
  return randomBytes(24).toString('base64url');
}

export function hashOneTimePassword(otp: string): string {
  return createHash('sha256').update(otp, 'utf8').digest('hex');
}
