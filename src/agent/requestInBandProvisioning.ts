// The client agent's job (docs/amt-protocol.md section 7, steps 1-2), start to end:
//   1. HECI driver present? firmware not yet provisioned?
//   2. one of the site's provisioning roots among the firmware's active trusted hashes?
//   3. make the OTP, set it in the firmware (SetProvisioningServerOTP),
//   4. register its hash (with UUID, host name, domain) with the site server,
//   5. start the firmware's network interface.
// The contract lists "send, set, start". Setting first means the run the site starts can
// never read the device before the OTP is there; registering before starting the network
// interface means the site marks the computer in-band managed before the device's first
// Hello of the new setup period, so no Hello can start an out-of-band run for it meanwhile.
// On a real device the run simply retries until the interface is up.
import type { Logger } from '../log';
import { withRetries, RetriesExhausted, type Clock, type RetryPolicy } from './backoff';
import { FirmwareRefused, HeciUnavailable, HostInterfaceClient, type FirmwareRootHash } from './hostInterfaceClient';
import { hashOneTimePassword, makeOneTimePassword } from './oneTimePassword';
import { AGENT_EXIT, AgentRefusal } from './refusals';
import { LocalAddressUnavailable, SiteClient, SiteRejectedCredentials, SiteRefused, SiteUnreachable, type SiteCredentials } from './siteClient';
import type { ProvisioningRoot } from '../site/api/schemas';

const POST_PROVISIONING = 2;

export interface AgentOptions {
  /** The host interface: the emulator's `<state-dir>/<uuid>.sock`. */
  deviceSocket: string;
  siteUrl: string;
  credentials: SiteCredentials;
  /** The device's address (shared by host OS and AMT); the site uses it to reach the device. */
  localAddress?: string;
  hostName: string;
  domain: string;
  retry: RetryPolicy;
  requestTimeoutMs?: number;
  log: Logger;
  clock?: Clock;
}

export interface AgentOutcome {
  uuid: string;
  workflowId: string;
  fqdn: string;
  /** The site did not know the computer before (client registration created it). */
  discovered: boolean;
  /** Requests made to the site, retries included. */
  siteAttempts: number;
}

const isRetryable = (err: unknown): boolean => err instanceof SiteUnreachable;

/** Runs one site call with retries, turning its failures into the agent's refusals. */
async function callSite<T>(what: string, options: AgentOptions, call: () => Promise<T>): Promise<{ value: T; attempts: number }> {
  try {
    return await withRetries(call, isRetryable, options.retry, {
      ...(options.clock ? { clock: options.clock } : {}),
      onRetry: (err, attempt, delayMs) => options.log.warn(`site server unreachable (${what}); retrying`, {
        attempt, inMs: delayMs, reason: err instanceof Error ? err.message : String(err),
      }),
    });
  } catch (err) {
    if (err instanceof RetriesExhausted) {
      const last = err.cause instanceof Error ? err.cause.message : String(err.cause);
      throw new AgentRefusal(AGENT_EXIT.siteUnreachable, `The site server could not be reached after ${err.attempts} attempt(s) over ${Math.round(err.elapsedMs / 1000)} s (${last}).`, { cause: err });
    }
    if (err instanceof SiteRejectedCredentials) throw new AgentRefusal(AGENT_EXIT.credentialsRejected, `Mutual TLS with the site server failed: ${err.message}.`, { cause: err });
    if (err instanceof SiteRefused) throw new AgentRefusal(AGENT_EXIT.siteRefused, `${capitalize(err.message)}.`, { cause: err });
    if (err instanceof LocalAddressUnavailable) throw new AgentRefusal(AGENT_EXIT.badArguments, `${capitalize(err.message)}.`, { cause: err });
    throw err;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A site root the firmware trusts, compared by each algorithm the firmware lists. */
function trustedSiteRoot(roots: ProvisioningRoot[], firmware: FirmwareRootHash[]): ProvisioningRoot | undefined {
  const active = firmware.filter((h) => h.active);
  return roots.find((root) => active.some((h) => root[h.algorithm] === h.hash));
}

async function firmwareCall<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (err) {
    if (err instanceof HeciUnavailable) throw new AgentRefusal(AGENT_EXIT.noHeciDriver, `The Intel MEI/HECI host interface is not usable: ${err.message}.`, { cause: err });
    if (err instanceof FirmwareRefused && err.statusName === 'PT_STATUS_INVALID_PT_MODE') {
      throw new AgentRefusal(AGENT_EXIT.alreadyProvisioned, `Intel AMT on this computer is already provisioned (the firmware refused ${err.command}).`, { cause: err });
    }
    if (err instanceof FirmwareRefused) throw new AgentRefusal(AGENT_EXIT.firmwareRefused, `${capitalize(err.message)}.`, { cause: err });
    throw err;
  }
}

export async function requestInBandProvisioning(options: AgentOptions): Promise<AgentOutcome> {
  const { log } = options;
  const site = new SiteClient({
    siteUrl: options.siteUrl, credentials: options.credentials,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
  const firmware = await firmwareCall(() => HostInterfaceClient.connect(options.deviceSocket));
  try {
    const info = await firmwareCall(() => firmware.getFirmwareInfo());
    log.info('firmware found', { uuid: info.uuid, version: info.firmwareVersion, state: info.provisioningStateName });
    if (info.provisioningState === POST_PROVISIONING) {
      throw new AgentRefusal(AGENT_EXIT.alreadyProvisioned, `Intel AMT on this computer (${info.uuid}) is already provisioned; there is nothing to do.`);
    }
    const firmwareHashes = await firmwareCall(() => firmware.getTrustedRootHashes());

    const roots = await callSite('provisioning roots', options, () => site.getProvisioningRoots());
    const root = trustedSiteRoot(roots.value, firmwareHashes);
    if (!root) {
      throw new AgentRefusal(AGENT_EXIT.rootNotTrusted,
        `None of the site's ${roots.value.length} provisioning certificate root(s) is among the ${firmwareHashes.filter((h) => h.active).length} active root hash(es) this firmware trusts.`);
    }
    log.info('the firmware trusts a site provisioning root', { provisioningCertificate: root.subjectCn, rootSha256: root.sha256.slice(0, 16) });

    const otp = makeOneTimePassword();
    await firmwareCall(() => firmware.setProvisioningServerOtp(otp));
    log.info('one-time password set in the firmware');

    const accepted = await callSite('in-band request', options, () => site.requestInBandProvisioning({
      uuid: info.uuid,
      otpHash: hashOneTimePassword(otp),
      hostName: options.hostName,
      domain: options.domain,
      trustedRootHashes: firmwareHashes.filter((h) => h.active).map((h) => h.hash),
    }));
    log.info('the site server accepted the request', { workflowId: accepted.value.workflowId, fqdn: accepted.value.computer.fqdn, discovered: accepted.value.computer.discovered });

    await firmwareCall(() => firmware.startNetworkInterface());
    log.info('firmware network interface started for setup');
    return {
      uuid: info.uuid,
      workflowId: accepted.value.workflowId,
      fqdn: accepted.value.computer.fqdn,
      discovered: accepted.value.computer.discovered,
      siteAttempts: roots.attempts + accepted.attempts,
    };
  } finally {
    firmware.close();
  }
}
