// Discover AMT Status (issue 11 item 4): what a discovery saw on one device, and the AMT
// status that makes it, ConfigMgr's values. Pure, so each rule has a unit test; the rules are
// listed in README "Status discovery".
import { OLDEST_SUPPORTED_VERSION, versionAtLeast } from '../contract/firmwareFamilies';
import { PROVISIONING_STATE } from '../contract/provisioning';
import type { DiscoveredStatus } from './maintenanceTypes';

export interface DiscoveryObservation {
  /** Where the device was looked for; undefined when it was never reached (no address known). */
  address?: string;
  /** TLS on 16993: no answer, or how its certificate compares with what the site knows. */
  tls: 'no-answer' | 'pinned' | 'site-issued' | 'first-contact' | 'foreign';
  /** Digest login with the computer's candidates (vault admin password, MEBx, site accounts). */
  login?: { accepted: true; credential: string } | { accepted: false };
  /** CIM_SoftwareIdentity "AMT" VersionString, once logged in. */
  firmwareVersion?: string;
  /** AMT_SetupAndConfigurationService / EOI GetProvisioningState, once logged in. */
  provisioningState?: number;
}

export interface Classification {
  status: DiscoveredStatus;
  reason: string;
}

const VERSION_FORMAT = /^\d+(\.\d+){0,3}$/;

export function classifyAmtStatus(seen: DiscoveryObservation): Classification {
  if (seen.address === undefined) return { status: 'Unknown', reason: 'never reached: no address is known (no Hello, agent request or run yet)' };
  if (seen.tls === 'no-answer') return { status: 'Unknown', reason: `no AMT answer at ${seen.address}:16993` };
  // A certificate that is neither the device's pinned one nor ours: someone else set up its TLS. No credential is sent.
  if (seen.tls === 'foreign') return { status: 'Externally Provisioned', reason: 'the device serves a TLS certificate that is neither its pinned one nor issued by the site CA' };
  if (!seen.login?.accepted) {
    return { status: 'Externally Provisioned', reason: 'none of the site\'s credentials (vault admin password, MEBx password, Digest accounts) is accepted: another server holds the admin account' };
  }
  const version = seen.firmwareVersion;
  if (version === undefined || !VERSION_FORMAT.test(version)) return { status: 'Not Supported', reason: 'the device reports no readable AMT firmware version' };
  if (!versionAtLeast(version, OLDEST_SUPPORTED_VERSION)) {
    return { status: 'Not Supported', reason: `AMT ${version} is older than ${OLDEST_SUPPORTED_VERSION.join('.')}, the oldest release provisioned` };
  }
  switch (seen.provisioningState) {
    // In-provisioning holds nothing committed, and a device in pre-provisioning enters it on the
    // first Digest-authenticated request: discovery's own login puts it there.
    case PROVISIONING_STATE.PRE_PROVISIONING:
    case PROVISIONING_STATE.IN_PROVISIONING:
      return { status: 'Not Provisioned', reason: `AMT ${version}, nothing provisioned (${seen.provisioningState === PROVISIONING_STATE.PRE_PROVISIONING ? 'pre' : 'in'}-provisioning)` };
    case PROVISIONING_STATE.POST_PROVISIONING:
      // Provisioned by us: our CA's certificate on TLS and one of our admin passwords. A device
      // that took a site Digest account (its factory password) but runs someone else's TLS is not ours.
      if (seen.tls === 'site-issued' && seen.login.credential.startsWith('admin-')) return { status: 'Provisioned', reason: `AMT ${version} provisioned by this site` };
      return { status: 'Externally Provisioned', reason: `AMT ${version} is provisioned, but not with this site's TLS certificate and admin password` };
    default:
      return { status: 'Detected', reason: `AMT ${version} answers, but reports no provisioning state` };
  }
}
