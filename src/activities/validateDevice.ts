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

export function validateDevice(deps: ActivityDeps, input: ValidateDeviceInput): ValidatedDevice {
  // Counted before any refusal: every run that starts also finishes (reportResult counts that).
  if (input.attempt === 1) productMetrics.runStarted(input.mode, input.trigger);
  const { store } = deps;
  const computer = store.computers.findByUuid(input.uuid);
  if (!computer) throw new ProvisioningRefused('UnknownDevice', `no imported computer has SMBIOS UUID ${input.uuid}`);
  if (input.mode === 'out-of-band' && computer.inBandManaged) {
    throw new ProvisioningRefused('InBandManaged', `${computer.netbiosName} is managed in-band; its agent starts provisioning, not a Hello`);
  }
  const domain = dnsDomainOf(computer.fqdn);
  const [certificate] = store.provisioningCertificates.matchingDevice(input.trustedRootHashes, domain);
  if (!certificate) {
    throw new ProvisioningRefused('NoTrustedProvisioningCertificate',
      `no provisioning certificate for domain "${domain}" has a root among the ${input.trustedRootHashes.length} hash(es) ${computer.netbiosName} trusts`);
  }
  const problems = checkProvisioningChain(certificate.chainPem, { trustedRootHashes: input.trustedRootHashes, dnsSuffix: domain, now: deps.now?.() });
  if (problems.length > 0) {
    throw new ProvisioningRefused('ProvisioningCertificateInvalid',
      `provisioning certificate ${certificate.subjectCn} fails rule(s): ${problems.map((p) => `${p.rule} (${p.message})`).join('; ')}`);
  }
  const settings = store.settings.get();
  if (!settings.directory) throw new ProvisioningRefused('SiteNotConfigured', 'no directory is configured (amtprov settings apply)');
  if (!store.issuingCa.get()) throw new ProvisioningRefused('SiteNotConfigured', 'no issuing CA for device TLS certificates (amtprov pki demo, or register one)');

  store.transaction(() => {
    store.computers.setStatus(computer.id, 'Detected');
    store.computers.setDeviceFacts(computer.id, { provisioningMode: input.mode, lastAddress: input.address, trustedRootHashes: input.trustedRootHashes });
    auditStep(deps, computer.uuid, 'provisioning.started', 'info', { mode: input.mode, certificate: certificate.subjectCn });
  });
  return {
    computerId: computer.id,
    netbiosName: computer.netbiosName,
    fqdn: computer.fqdn,
    certificateId: certificate.id,
    unreachableDeadlineSeconds: settings.provisioningDeadline,
  };
}
