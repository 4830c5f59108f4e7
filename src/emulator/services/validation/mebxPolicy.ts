// When the firmware lets the network change the MEBx password (seed step 7.5).
// Public material: the MEBx "Password Policy" setting (Intel MEBx user guides; HP and Dell AMT
// guides) offers "Default Password Only" (change over the network only while the password was
// never changed), "During Setup and Configuration" and "Anytime"; ConfigMgr 2007 says it
// "might change the MEBx password ... depending on whether it has been changed previously on
// the AMT-based computer and on the version of AMT". Intel does not name the versions.
// The emulator's choice (docs/amt-protocol.md section 5 leaves it open): firmware older than
// 3.2.1 (the first version ConfigMgr 2007 SP1 provisions) answers "not supported"; newer
// firmware applies "Default Password Only": refused once the MEBx password was changed over
// the network (committed, or staged earlier in this setup session).
import { OLDEST_SUPPORTED_VERSION, versionAtLeast } from '../../../contract/firmwareFamilies';
import { PT_STATUS } from '../../../contract/ptStatus';

/** The oldest release ConfigMgr 2007 SP1 provisions is the first that changes the MEBx password. */
export const MEBX_CHANGE_MIN_VERSION = OLDEST_SUPPORTED_VERSION;

export interface MebxChangeContext {
  firmwareVersion: string;
  /** The MEBx password was changed over the network and committed. */
  changed: boolean;
  /** A change is already staged in this setup session. */
  staged: boolean;
}

/** PT_STATUS refusing a MEBx password change, or null when the firmware allows it. */
export function mebxChangeRefusal(context: MebxChangeContext): { status: number; reason: string } | null {
  if (!versionAtLeast(context.firmwareVersion, MEBX_CHANGE_MIN_VERSION)) {
    return { status: PT_STATUS.UNSUPPORTED, reason: `firmware ${context.firmwareVersion} cannot change the MEBx password over the network` };
  }
  if (context.changed || context.staged) {
    return { status: PT_STATUS.NOT_PERMITTED, reason: 'password policy "Default Password Only": the MEBx password was already changed' };
  }
  return null;
}
