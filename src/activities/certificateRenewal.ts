// Certificate renewal of one provisioned device (issue 11 item 2; docs/amt-protocol.md section
// 12): read what the device serves on a fresh TLS connection; if it expires within the window,
// a new key pair on the device, the site CA's certificate for it (recorded as pending first),
// TLS switched to it; then a fresh connection must show the device serving it, the store's
// record is promoted in the same step, and only then is the predecessor removed from the device.
// Re-running is safe at every point: a device already serving the pending certificate is
// promoted, leftovers of interrupted attempts are removed, a renewed device is "not due".
import { connectDeviceTls, certificateSha256, isSiteIssued, type DeviceIdentity } from '../amt/deviceTls';
import { DeviceTlsFailed } from '../amt/errors';
import { issueDeviceCertificate } from '../pki/deviceCertificate';
import { ProvisioningRefused } from '../errors';
import type { ActivityDeps } from './deps';
import { auditStep } from './audit';
import { deviceIdentity, provisioningCredential, withDeviceSession } from './deviceAccess';
import type { MaintenanceTarget, RenewalInput, RenewalOutcome } from './scheduledMaintenanceTypes';
import { connectTlsRenewalDialect, removeSupersededCredentials } from './tlsRenewalDialects';

interface ServedCertificate {
  der: Buffer;
  sha256: string;
  notAfter: Date;
}

/** A new TLS connection (no session reuse), as any client would make it now: what does the device present? */
async function readServedCertificate(deps: ActivityDeps, target: MaintenanceTarget): Promise<ServedCertificate> {
  const computer = await deps.store.computers.get(target.computerId);
  const { socket, peer } = await connectDeviceTls({
    host: target.address, clientCredential: await provisioningCredential(deps, target.certificateId), identity: await deviceIdentity(deps, computer),
  });
  socket.destroy();
  return { der: peer.raw, sha256: certificateSha256(peer.raw), notAfter: new Date(peer.validTo) };
}

async function siteIssuedIdentity(deps: ActivityDeps, target: MaintenanceTarget): Promise<NonNullable<DeviceIdentity['siteIssued']>> {
  const identity = (await deviceIdentity(deps, await deps.store.computers.get(target.computerId))).siteIssued;
  if (!identity) throw new ProvisioningRefused('SiteNotConfigured', 'no issuing CA configured: nothing to renew device certificates with');
  return identity;
}

export async function renewDeviceCertificate(deps: ActivityDeps, input: RenewalInput): Promise<RenewalOutcome> {
  const { target } = input;
  const { store } = deps;
  const now = (): Date => deps.now?.() ?? new Date();
  // What the device serves settles an interrupted attempt first: switched (promote) or not (forget
  // the pending one). The Digest session below then starts with no renewal pending, so its
  // connections accept the certificate this attempt switches to.
  let served = await readServedCertificate(deps, target);
  const { pending } = await store.deviceTls.state(target.computerId);
  const recovered = pending?.fingerprintSha256 === served.sha256;
  if (recovered) await store.deviceTls.promotePending(target.computerId, served.sha256);
  else if (pending) await store.deviceTls.discardPending(target.computerId);
  return withDeviceSession(deps, target, async (login, heartbeat) => {
    const computer = await store.computers.get(target.computerId);
    if (!computer.firmwareVersion) throw new ProvisioningRefused('UnsupportedFirmware', 'the firmware version is unknown (provisioning records it)');
    if (!isSiteIssued(served.der, await siteIssuedIdentity(deps, target), now())) {
      throw new ProvisioningRefused('DeviceCertificateNotSiteIssued', `${computer.fqdn} serves a certificate the site did not issue for it (sha256 ${served.sha256.slice(0, 16)}...); provision it again`);
    }
    let renewed = recovered;
    if (!recovered && (input.force || served.notAfter < new Date(input.renewBefore))) {
      await store.deviceTls.recordServed(computer.id, { fingerprintSha256: served.sha256, notAfter: served.notAfter });
      heartbeat.step('remove-leftovers');
      // Frees the key store of what interrupted attempts left (never the served certificate).
      await removeSupersededCredentials(login.session, computer.firmwareVersion, computer.fqdn, served.der);
      heartbeat.step('install-successor');
      const dialect = await connectTlsRenewalDialect(computer.firmwareVersion, login.session);
      await dialect.installSuccessor(computer.fqdn, async (key) => {
        const issued = issueDeviceCertificate({ fqdn: computer.fqdn, key, now: now() }, await store.issuingCa.loadIssuer());
        await store.deviceTls.stagePending(computer.id, { fingerprintSha256: issued.fingerprintSha256, notAfter: issued.notAfter });
        return issued;
      });
      heartbeat.step('confirm-served-certificate');
      served = await readServedCertificate(deps, target);
      const staged = (await store.deviceTls.state(computer.id)).pending;
      if (staged?.fingerprintSha256 !== served.sha256) {
        throw new DeviceTlsFailed(`${computer.fqdn} still serves certificate ${served.sha256.slice(0, 16)}... after the switch, not the renewed one`);
      }
      await store.deviceTls.promotePending(computer.id, served.sha256);
      renewed = true;
    } else if (!recovered) {
      await store.deviceTls.recordServed(computer.id, { fingerprintSha256: served.sha256, notAfter: served.notAfter });
    }
    heartbeat.step('remove-superseded');
    const removed = renewed ? await removeSupersededCredentials(login.session, computer.firmwareVersion, computer.fqdn, served.der) : 0;
    const outcome: RenewalOutcome = {
      outcome: renewed ? 'renewed' : 'not-due', fingerprint: served.sha256, notAfter: served.notAfter.toISOString(), removed, recovered,
    };
    await auditStep(deps, computer.uuid, 'maintenance.certificate-renewal', renewed ? 'success' : 'info', { ...outcome });
    return outcome;
  });
}
