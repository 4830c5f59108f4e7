// The activity surface of the day-after workflows this module family serves: removing a
// device's provisioning (unprovisionDevice) and discovering its AMT status (discoverAmtStatus).
// Like ProvisioningActivities: references and facts in and out, never secrets.
import type { UnprovisionMode } from '../amt/wsmanSetup';
import type { FirmwareFamily } from '../contract/firmwareFamilies';
import type { AmtStatus } from '../workflows/definitions';
import type { DeviceTarget } from './types';

export interface UnprovisionTarget extends DeviceTarget {
  uuid: string;
  fqdn: string;
  /** Provisioned in-band: its agent, not a Hello, asks for the next run (no automatic re-provisioning). */
  inBandManaged: boolean;
  trustedRootHashes: string[];
  /** How long the device may stay dark before the removal gives up (site setting, or the operator's). */
  deadlineSeconds: number;
}

export interface DeviceRemoval {
  /** The device held no committed provisioning (not in post-provisioning): an earlier attempt got there, or it never was provisioned. */
  alreadyUnprovisioned: boolean;
  /** The call sent: the requested mode in post-provisioning, full in in-provisioning (drops staged setup), none in pre. */
  performed: UnprovisionMode | 'none';
  dialect: 'ws-man' | 'eoi-soap';
  firmwareVersion: string;
  /** Serial numbers (hex) of the site-issued certificate the device served, now revoked. */
  revokedSerials: string[];
}

export interface DirectoryRemoval {
  deleted: boolean;
  dn?: string;
}

export interface UnprovisionReport {
  computerId: number;
  uuid: string;
  runId: string;
  mode: UnprovisionMode;
  outcome: 'Not Provisioned' | 'Failed';
  /** Hellos stay held after the run: --no-reprovision. */
  holdHellos: boolean;
  reason?: string;
}

export type DiscoveredStatus = Extract<AmtStatus, 'Unknown' | 'Not Supported' | 'Detected' | 'Not Provisioned' | 'Provisioned' | 'Externally Provisioned'>;

export interface DiscoveryResult {
  uuid: string;
  status: DiscoveredStatus;
  /** Why, in a sentence (also the computer's status reason where it explains). */
  reason: string;
  firmwareVersion?: string;
  firmwareFamily?: FirmwareFamily;
}

export interface MaintenanceActivities {
  /** Finds the computer, holds its Hellos, and says where and how to reach its device. */
  prepareUnprovision(input: { uuid: string; deadlineSeconds?: number }): Promise<UnprovisionTarget>;
  /** Revokes the certificate the device serves, then removes its provisioning data (idempotent). */
  removeProvisioningData(input: UnprovisionTarget & { mode: UnprovisionMode }): Promise<DeviceRemoval>;
  deleteDirectoryAccount(input: { computerId: number }): Promise<DirectoryRemoval>;
  reportUnprovisioned(input: UnprovisionReport): Promise<void>;
  /** The computers a discovery of the whole site visits, by UUID. */
  listComputerUuids(): Promise<string[]>;
  discoverComputer(input: { uuid: string }): Promise<DiscoveryResult>;
}
