// Agent registration (`amtprov agent enroll <name> --out <dir>`): a fresh key and a
// clientAuth certificate from the site's issuing CA, written with the CA chain the agent
// verifies the server by, and an audit record. The files go to the computer that runs the
// agent; the site keeps no copy of the key.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SiteStore } from '../store';
import { issueAgentCertificate } from './apiCertificates';

export const AGENT_FILES = { cert: 'agent.cert.pem', key: 'agent.key.pem', ca: 'site-ca.pem' } as const;

export interface EnrolledAgent {
  name: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  fingerprintSha256: string;
  notAfter: Date;
}

export function enrollAgent(store: SiteStore, name: string, outDir: string, options: { actor: string; force?: boolean }): EnrolledAgent {
  const files = { cert: path.join(outDir, AGENT_FILES.cert), key: path.join(outDir, AGENT_FILES.key), ca: path.join(outDir, AGENT_FILES.ca) };
  const existing = Object.values(files).filter((file) => existsSync(file));
  if (existing.length > 0 && !options.force) {
    throw new Error(`${existing.map((f) => path.basename(f)).join(', ')} already in ${outDir}; pass --force to replace`);
  }
  const credential = issueAgentCertificate(store.issuingCa.loadIssuer(), name);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  for (const [file, content] of [[files.key, credential.keyPem], [files.cert, credential.certPem], [files.ca, credential.caChainPem.join('')]] as const) {
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600); // a replaced file keeps its old mode otherwise
  }
  store.audit.recordAudit({
    actor: options.actor, action: 'agent.enroll', outcome: 'success',
    detail: { name, fingerprintSha256: credential.fingerprintSha256, serialNumber: credential.serialNumber, notAfter: credential.notAfter.toISOString() },
  });
  return { name, certFile: files.cert, keyFile: files.key, caFile: files.ca, fingerprintSha256: credential.fingerprintSha256, notAfter: credential.notAfter };
}
