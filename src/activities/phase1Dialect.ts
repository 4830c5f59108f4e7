// What the first stage needs from a dialect (EOI SOAP: phase1Eoi.ts; WS-Man: phase1Wsman.ts)
// and what it gives a dialect's TLS step (the site CA), so the sequence in phase1.ts and the
// dialects depend on this contract, not on each other.
import type { DeviceKeySource, IssuedDeviceCertificate } from '../pki/deviceCertificate';

/** What the site CA does for a dialect's TLS step. */
export interface DeviceCertificateAuthority {
  fqdn: string;
  issue(key: DeviceKeySource): Promise<IssuedDeviceCertificate>;
  /** True for a certificate (DER) this site issued for the FQDN and still valid: one a retry may keep. */
  accepts(certificateDer: Buffer): boolean;
}

/** The first stage's device calls in one dialect. */
export interface Phase1Dialect {
  readonly name: 'eoi-soap' | 'ws-man';
  provisioningState(): Promise<number | undefined>;
  synchronizeClock(nowSeconds: () => number): Promise<void>;
  setHostAndDomainName(hostName: string, domainName: string): Promise<void>;
  /** Seed step 7.3; returns what was done, for the step list. */
  installTlsCertificate(ca: DeviceCertificateAuthority): Promise<string>;
  setAdminAclEntry(username: string, password: string, digestRealm: string): Promise<void>;
  setMebxPassword(password: string): Promise<void>;
  commitChanges(): Promise<void>;
}
