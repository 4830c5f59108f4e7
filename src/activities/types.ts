// The activity surface the provisioning workflow calls, one entry per seed step. Inputs and
// outputs carry references and facts, never secrets: activities resolve passwords and keys
// from the site store's vault themselves.
import type { ProvisioningMode, ProvisionInput } from '../workflows/definitions';

export interface ValidateDeviceInput {
  uuid: string;
  mode: ProvisioningMode;
  address: string;
  trustedRootHashes: string[];
  /** What started the run, and the validate stage's attempt: attempt 1 counts the run as started. */
  trigger: ProvisionInput['trigger'];
  attempt: number;
}

export interface ValidatedDevice {
  computerId: number;
  netbiosName: string;
  fqdn: string;
  /** The provisioning certificate whose root this device trusts. */
  certificateId: number;
  /** How long a device may stay unreachable before the run ends as Failed. */
  unreachableDeadlineSeconds: number;
  /**
   * The run's address must first prove to hold the pinned device (deviceAccess.ts proveAddress):
   * a Hello for a pinned computer from an address other than its last, or for a Provisioned one.
   * Absent in results recorded before this existed: proven.
   */
  addressUnproven?: boolean;
}

export interface DeviceTarget {
  computerId: number;
  address: string;
  certificateId: number;
  /** See ValidatedDevice.addressUnproven; absent: the address is the computer's known one. */
  addressUnproven?: boolean;
}

export interface TlsResult {
  fingerprint: string;
  firstContact: boolean;
}

export interface DigestLoginResult {
  /** Which candidate worked, by its store label (e.g. "account:2 admin"), never its password. */
  credential: string;
  rejected: number;
}

export interface DirectoryAccountResult {
  dn: string;
  created: boolean;
  keyVersion: number;
}

export interface StageReport {
  /** Sub-steps done (or found already done) on the device, in order. */
  steps: string[];
}

export interface ReportInput {
  uuid: string;
  computerId?: number;
  runId: string;
  mode: ProvisioningMode;
  outcome: 'Provisioned' | 'Failed';
  failedStage?: string;
  reason?: string;
  trigger: string;
  /** The run never proved its address: the computer keeps its status (only the audit records the run). */
  addressUnproven?: boolean;
}

export interface ProvisioningActivities {
  validateDevice(input: ValidateDeviceInput): Promise<ValidatedDevice>;
  tlsHandshake(target: DeviceTarget): Promise<TlsResult>;
  digestLogin(target: DeviceTarget): Promise<DigestLoginResult>;
  verifyIdentity(target: DeviceTarget): Promise<void>;
  createDirectoryAccount(input: { computerId: number }): Promise<DirectoryAccountResult>;
  /** Seed steps 7.1-7.6 in the device's dialect (EOI SOAP or WS-Man, by firmware family). */
  phase1(target: DeviceTarget): Promise<StageReport>;
  phase2Wsman(target: DeviceTarget & { directory: DirectoryAccountResult }): Promise<StageReport>;
  reportResult(input: ReportInput): Promise<void>;
}
