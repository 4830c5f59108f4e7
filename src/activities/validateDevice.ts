// Seed step 4.1: is the device imported, may this mode provision it, which provisioning
// certificate does it trust, and is the site able to finish the run at all? Every "no" is
// final (non-retryable) with a reason an operator can act on.
import { checkProvisioningChain } from '../amt/certRules';
import { productMetrics } from '../metrics/productMetrics';
import type { ValidateDeviceInput, ValidatedDevice } from './types';
import { auditStep } from './audit';
import { ProvisioningRefused, type ActivityDeps } from './deps';

function dnsDomainOf(fqdn: string): string {
  return fqdn.split('.').slice(1).join('.');
}

export async function validateDevice(deps: ActivityDeps, input: ValidateDeviceInput): Promise<ValidatedDevice> {
  // Counted before any refusal: every run that starts also finishes (reportResult counts that).
  if (input.attempt === 1) productMetrics.runStarted(input.mode, input.trigger);
  const { store } = deps;
  const computer = await store.computers.findByUuid(input.uuid);
  if (!computer) throw new ProvisioningRefused('UnknownDevice', `no imported computer has SMBIOS UUID ${input.uuid}`);
  if (input.mode === 'out-of-band' && computer.inBandManaged) {
    throw new ProvisioningRefused('InBandManaged', `${computer.netbiosName} is managed in-band; its agent starts provisioning, not a Hello`);
  }
  const domain = dnsDomainOf(computer.fqdn);
  const candidates = await store.provisioningCertificates.matchingDevice(input.trustedRootHashes, domain);
  if (candidates.length === 0) {
    throw new ProvisioningRefused('NoTrustedProvisioningCertificate',
      `no provisioning certificate for domain "${domain}" has a root among the ${input.trustedRootHashes.length} hash(es) ${computer.netbiosName} trusts`);
  }
  // The firmware version is known from an earlier run (digest login records it); with it, a
  // chain this generation refuses (e.g. a 3072-bit CA before AMT 16) is skipped for another.
  const checked = candidates.map((candidate) => ({
    candidate,
    problems: checkProvisioningChain(candidate.chainPem, {
      trustedRootHashes: input.trustedRootHashes, dnsSuffix: domain, now: deps.now?.(), firmwareVersion: computer.firmwareVersion ?? undefined,
    }),
  }));
  const usable = checked.find((c) => c.problems.length === 0);
  if (!usable) {
    throw new ProvisioningRefused('ProvisioningCertificateInvalid', checked.map(({ candidate, problems }) =>
      `provisioning certificate ${candidate.subjectCn} fails rule(s): ${problems.map((p) => `${p.rule} (${p.message})`).join('; ')}`).join(' | '));
  }
  const certificate = usable.candidate;
  const settings = await store.settings.get();
  if (!settings.directory) throw new ProvisioningRefused('SiteNotConfigured', 'no directory is configured (amtprov settings apply)');
  if (!await store.issuingCa.get()) throw new ProvisioningRefused('SiteNotConfigured', 'no issuing CA for device TLS certificates (amtprov pki demo, or register one)');

  // A Hello is unauthenticated: for a computer whose device is pinned, one from another
  // address (or for a Provisioned computer) may be an impostor's. Its run touches nothing
  // until the device there shows the pinned certificate (deviceAccess.ts proveAddress).
  const addressUnproven = input.mode === 'out-of-band' && computer.deviceCertFingerprint !== null &&
    (computer.lastAddress !== input.address || computer.amtStatus === 'Provisioned');
  await store.transaction(async (tx) => {
    if (!addressUnproven) {
      await tx.computers.setStatus(computer.id, 'Detected');
      await tx.computers.setDeviceFacts(computer.id, { provisioningMode: input.mode, lastAddress: input.address, trustedRootHashes: input.trustedRootHashes });
    }
    await auditStep({ store: tx }, computer.uuid, 'provisioning.started', 'info', {
      mode: input.mode, certificate: certificate.subjectCn, ...(addressUnproven ? { address: input.address, addressUnproven: true } : {}),
    });
  });
  return {
    computerId: computer.id,
    netbiosName: computer.netbiosName,
    fqdn: computer.fqdn,
    certificateId: certificate.id,
    unreachableDeadlineSeconds: settings.provisioningDeadline,
    addressUnproven,
  };
}
