// Computers known to the site: identity (SMBIOS UUID, names, MAC), AMT status, the pinned
// device certificate, and references to the computer's secrets in the vault.
import { firmwareFamily, type FirmwareFamily } from '../contract/firmwareFamilies';
import { AMT_STATUSES } from './schema';
import type { SiteDb } from './db';
import { canonicalUuid } from './identifiers';
import type { SecretRef, Vault } from './vault';

export type AmtStatus = (typeof AMT_STATUSES)[number];
export type ProvisioningMode = 'out-of-band' | 'in-band';

export interface Computer {
  id: number;
  uuid: string;
  netbiosName: string;
  fqdn: string;
  mac: string | null;
  amtStatus: AmtStatus;
  statusReason: string | null;
  deviceCertFingerprint: string | null;
  inBandManaged: boolean;
  provisioningMode: ProvisioningMode | null;
  firmwareVersion: string | null;
  /** The phase 1 dialect of that release, derived from it (src/contract/firmwareFamilies.ts). */
  firmwareFamily: FirmwareFamily | null;
  /** Where the device answered last (its Hello's or agent's address). */
  lastAddress: string | null;
  /** Root hashes (hex) the device said it trusts, as its last run was started with. */
  trustedRootHashes: string[];
  /** Its Hellos start no run (an unprovision is under way, or ended with --no-reprovision). */
  provisioningHeld: boolean;
  secretRefs: {
    mebxPassword: SecretRef | null;
    adminPassword: SecretRef | null;
    importedAdminPassword: SecretRef | null;
    adAccountPassword: SecretRef | null;
  };
  createdAt: string;
  updatedAt: string;
  provisionedAt: string | null;
}

/** Per-computer secrets other than the admin password (which goes through staging). */
export type ComputerSecretSlot = 'mebx-password' | 'ad-account-password' | 'imported-admin-password';

const SLOT_COLUMN: Record<ComputerSecretSlot, string> = {
  'mebx-password': 'mebx_password_ref',
  'ad-account-password': 'ad_account_password_ref',
  'imported-admin-password': 'imported_admin_password_ref',
};
const SLOT_PURPOSE = {
  'mebx-password': 'mebx-password',
  'ad-account-password': 'ad-account-password',
  'imported-admin-password': 'admin-password',
} as const;

export type PinOutcome = 'pinned' | 'matches' | 'mismatch';

export interface NewComputer {
  uuid: string;
  netbiosName: string;
  fqdn: string;
  mac?: string | null;
}

interface ComputerRow {
  id: number;
  uuid: string;
  netbios_name: string;
  fqdn: string;
  mac: string | null;
  amt_status: AmtStatus;
  status_reason: string | null;
  device_cert_fingerprint: string | null;
  in_band_managed: number;
  provisioning_mode: ProvisioningMode | null;
  firmware_version: string | null;
  last_address: string | null;
  trusted_root_hashes: string | null;
  provisioning_held: number;
  mebx_password_ref: string | null;
  admin_password_ref: string | null;
  imported_admin_password_ref: string | null;
  ad_account_password_ref: string | null;
  created_at: string;
  updated_at: string;
  provisioned_at: string | null;
}

function toComputer(row: ComputerRow): Computer {
  return {
    id: row.id,
    uuid: row.uuid,
    netbiosName: row.netbios_name,
    fqdn: row.fqdn,
    mac: row.mac,
    amtStatus: row.amt_status,
    statusReason: row.status_reason,
    deviceCertFingerprint: row.device_cert_fingerprint,
    inBandManaged: row.in_band_managed === 1,
    provisioningMode: row.provisioning_mode,
    firmwareVersion: row.firmware_version,
    firmwareFamily: row.firmware_version ? firmwareFamily(row.firmware_version) : null,
    lastAddress: row.last_address,
    trustedRootHashes: row.trusted_root_hashes ? JSON.parse(row.trusted_root_hashes) as string[] : [],
    provisioningHeld: row.provisioning_held === 1,
    secretRefs: {
      mebxPassword: row.mebx_password_ref,
      adminPassword: row.admin_password_ref,
      importedAdminPassword: row.imported_admin_password_ref,
      adAccountPassword: row.ad_account_password_ref,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    provisionedAt: row.provisioned_at,
  };
}

/** A run's computer is gone from the store: no retry brings it back (non-retryable, failureMapping.ts). */
export class ComputerNotFoundError extends Error {
  override name = 'ComputerNotFoundError';
  readonly type = 'ComputerNotFound';
  readonly retryable = false;
}

export class Computers {
  constructor(
    private readonly db: SiteDb,
    private readonly vault: Vault,
    private readonly now: () => Date,
  ) {}

  get(id: number): Computer {
    const row = this.db.prepare('SELECT * FROM computers WHERE id = ?').get(id) as ComputerRow | undefined;
    if (!row) throw new ComputerNotFoundError(`no computer with id ${id}`);
    return toComputer(row);
  }

  /** Looks a computer up by SMBIOS UUID in any accepted spelling; undefined when not imported. */
  findByUuid(uuid: string): Computer | undefined {
    const row = this.db.prepare('SELECT * FROM computers WHERE uuid = ?').get(canonicalUuid(uuid)) as ComputerRow | undefined;
    return row && toComputer(row);
  }

  findByName(netbiosName: string): Computer | undefined {
    const row = this.db.prepare('SELECT * FROM computers WHERE upper(netbios_name) = upper(?)').get(netbiosName) as ComputerRow | undefined;
    return row && toComputer(row);
  }

  findByFqdn(fqdn: string): Computer | undefined {
    const row = this.db.prepare('SELECT * FROM computers WHERE lower(fqdn) = lower(?)').get(fqdn) as ComputerRow | undefined;
    return row && toComputer(row);
  }

  list(): Computer[] {
    return (this.db.prepare('SELECT * FROM computers ORDER BY netbios_name').all() as ComputerRow[]).map(toComputer);
  }

  add(computer: NewComputer): Computer {
    const at = this.now().toISOString();
    const result = this.db
      .prepare('INSERT INTO computers (uuid, netbios_name, fqdn, mac, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(canonicalUuid(computer.uuid), computer.netbiosName, computer.fqdn, computer.mac ?? null, at, at);
    return this.get(Number(result.lastInsertRowid));
  }

  /** Changes identity fields; a field left undefined keeps its value. */
  updateIdentity(id: number, change: Partial<Omit<NewComputer, 'uuid'>>): Computer {
    const current = this.get(id);
    this.db
      .prepare('UPDATE computers SET netbios_name = ?, fqdn = ?, mac = ?, updated_at = ? WHERE id = ?')
      .run(change.netbiosName ?? current.netbiosName, change.fqdn ?? current.fqdn,
        change.mac === undefined ? current.mac : change.mac, this.now().toISOString(), id);
    return this.get(id);
  }

  /** Records the AMT status; the reason explains Failed/Not Provisioned and is cleared otherwise. */
  setStatus(id: number, status: AmtStatus, reason?: string): Computer {
    if (!AMT_STATUSES.includes(status)) throw new Error(`unknown AMT status "${String(status)}"`);
    this.get(id); // throws ComputerNotFoundError
    const at = this.now().toISOString();
    const provisionedAt = status === 'Provisioned' ? at : null;
    this.db
      .prepare(`UPDATE computers SET amt_status = ?, status_reason = ?, updated_at = ?,
        provisioned_at = CASE WHEN ? IS NULL THEN provisioned_at ELSE ? END WHERE id = ?`)
      .run(status, reason ?? null, at, provisionedAt, provisionedAt, id);
    return this.get(id);
  }

  setDeviceFacts(id: number, facts: {
    inBandManaged?: boolean; provisioningMode?: ProvisioningMode; firmwareVersion?: string; lastAddress?: string; trustedRootHashes?: string[];
  }): Computer {
    const current = this.get(id);
    this.db
      .prepare(`UPDATE computers SET in_band_managed = ?, provisioning_mode = ?, firmware_version = ?, last_address = ?,
        trusted_root_hashes = ?, updated_at = ? WHERE id = ?`)
      .run((facts.inBandManaged ?? current.inBandManaged) ? 1 : 0, facts.provisioningMode ?? current.provisioningMode,
        facts.firmwareVersion ?? current.firmwareVersion, facts.lastAddress ?? current.lastAddress,
        JSON.stringify(facts.trustedRootHashes ?? current.trustedRootHashes), this.now().toISOString(), id);
    return this.get(id);
  }

  /**
   * Trust on first use (docs/amt-protocol.md section 3): the first fingerprint seen is pinned;
   * later ones must match until an operator resets the pin. Atomic, so two racing
   * handshakes cannot both pin.
   */
  pinDeviceCertificate(id: number, fingerprint: string): PinOutcome {
    const normalized = fingerprint.replace(/:/g, '').toLowerCase();
    if (!/^[0-9a-f]{40,128}$/.test(normalized)) throw new Error('device certificate fingerprint must be hex');
    return this.db.transaction((): PinOutcome => {
      const pinned = this.get(id).deviceCertFingerprint;
      if (pinned === null) {
        this.db.prepare('UPDATE computers SET device_cert_fingerprint = ?, updated_at = ? WHERE id = ?')
          .run(normalized, this.now().toISOString(), id);
        return 'pinned';
      }
      return pinned === normalized ? 'matches' : 'mismatch';
    })();
  }

  /** Holds (or releases) the computer's Hellos: while held the listener starts no run for it. */
  setProvisioningHeld(id: number, held: boolean): void {
    this.get(id); // throws ComputerNotFoundError
    this.db.prepare('UPDATE computers SET provisioning_held = ?, updated_at = ? WHERE id = ?').run(held ? 1 : 0, this.now().toISOString(), id);
  }

  resetDeviceCertificatePin(id: number): void {
    this.get(id); // throws ComputerNotFoundError
    this.db.prepare('UPDATE computers SET device_cert_fingerprint = NULL, updated_at = ? WHERE id = ?').run(this.now().toISOString(), id);
  }

  /**
   * Stores a computer secret (MEBx password, AD account password, imported admin password)
   * in the vault and points the computer at it; the superseded secret is deleted.
   */
  setSecret(id: number, slot: ComputerSecretSlot, value: string): SecretRef {
    const column = SLOT_COLUMN[slot];
    return this.db.transaction(() => {
      const previous = (this.db.prepare(`SELECT ${column} FROM computers WHERE id = ?`).pluck().get(id)) as string | null | undefined;
      if (previous === undefined) throw new ComputerNotFoundError(`no computer with id ${id}`);
      const ref = this.vault.putSecret(SLOT_PURPOSE[slot], value);
      this.db.prepare(`UPDATE computers SET ${column} = ?, updated_at = ? WHERE id = ?`).run(ref, this.now().toISOString(), id);
      if (previous !== null) this.vault.deleteSecret(previous);
      return ref;
    })();
  }
}
