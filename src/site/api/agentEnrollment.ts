// Agent registration (`amtprov agent enroll <name> --computer <fqdn> --out <dir>`): a fresh
// key and a clientAuth certificate from the site's issuing CA, bound to one computer,
// written with the CA chain the agent verifies the server by; the enrolment is recorded in
// the agents table (binding, revocation) and the audit log. The files go to the computer
// that runs the agent; the site keeps no copy of the key.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SiteStore } from '../store';
import { canonicalUuid } from '../identifiers';
import { issueAgentCertificate, type AgentBinding } from './apiCertificates';

export const AGENT_FILES = { cert: 'agent.cert.pem', key: 'agent.key.pem', ca: 'site-ca.pem' } as const;

export interface EnrolledAgent {
  name: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  fingerprintSha256: string;
  notAfter: Date;
}

const FQDN_PATTERN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

export async function enrollAgent(store: SiteStore, name: string, outDir: string, options: { actor: string; computer: AgentBinding; force?: boolean }): Promise<EnrolledAgent> {
  const fqdn = options.computer.fqdn.toLowerCase();
  if (!FQDN_PATTERN.test(fqdn)) throw new Error(`--computer must be the computer's FQDN (host.domain), got "${options.computer.fqdn}"`);
  const uuid = options.computer.uuid === undefined ? undefined : canonicalUuid(options.computer.uuid);
  const files = { cert: path.join(outDir, AGENT_FILES.cert), key: path.join(outDir, AGENT_FILES.key), ca: path.join(outDir, AGENT_FILES.ca) };
  const existing = Object.values(files).filter((file) => existsSync(file));
  if (existing.length > 0 && !options.force) {
    throw new Error(`${existing.map((f) => path.basename(f)).join(', ')} already in ${outDir}; pass --force to replace`);
  }
  const credential = issueAgentCertificate(await store.issuingCa.loadIssuer(), name, { fqdn, ...(uuid ? { uuid } : {}) });
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  for (const [file, content] of [[files.key, credential.keyPem], [files.cert, credential.certPem], [files.ca, credential.caChainPem.join('')]] as const) {
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600); // a replaced file keeps its old mode otherwise
  }
  await store.transaction(async (tx) => {
    // A name enrolled again replaces its earlier certificates: they stop working now.
    const replaced = await tx.agents.revoke(name, options.actor);
    if (replaced > 0) await tx.audit.recordAudit({ actor: options.actor, action: 'agent.revoke', outcome: 'success', detail: { name, enrolments: replaced, reason: 'enrolled again' } });
    await tx.agents.record({ serialNumber: credential.serialNumber, name, fqdn, uuid: uuid ?? null, fingerprintSha256: credential.fingerprintSha256, notAfter: credential.notAfter });
    await tx.audit.recordAudit({
      actor: options.actor, action: 'agent.enroll', outcome: 'success', ...(uuid ? { computerUuid: uuid } : {}),
      detail: { name, fqdn, ...(uuid ? { uuid } : {}), fingerprintSha256: credential.fingerprintSha256, serialNumber: credential.serialNumber, notAfter: credential.notAfter.toISOString() },
    });
  });
  return { name, certFile: files.cert, keyFile: files.key, caFile: files.ca, fingerprintSha256: credential.fingerprintSha256, notAfter: credential.notAfter };
}
