// Computers known to the site: identity (SMBIOS UUID, names, MAC), AMT status, the pinned
// device certificate, and references to the computer's secrets in the vault.
import { firmwareFamily, type FirmwareFamily } from '../contract/firmwareFamilies';
import { ProvisionerError } from '../errors';
import { AMT_STATUSES } from './schema';
import type { SqlValue } from './sql';
import type { SiteStoreTransaction, SiteStoreView } from './store';
import { canonicalUuid } from './identifiers';
import type { SecretRef } from './vault';

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
export class ComputerNotFoundError extends ProvisionerError {
  readonly type = 'ComputerNotFound';
  readonly retryable = false;
}

/** Holds the computer's row lock until `tx` ends; throws when there is no such computer. */
export async function lockComputer(tx: SiteStoreTransaction, id: number): Promise<void> {
  if (!(await tx.db.lockRow('computers', id))) throw new ComputerNotFoundError(`no computer with id ${id}`);
}

export class Computers {
  constructor(private readonly store: SiteStoreView) {}

  private get db() {
    return this.store.db;
  }

  async get(id: number): Promise<Computer> {
    const row = await this.db.get<ComputerRow>('SELECT * FROM computers WHERE id = ?', [id]);
    if (!row) throw new ComputerNotFoundError(`no computer with id ${id}`);
    return toComputer(row);
  }

  /** Looks a computer up by SMBIOS UUID in any accepted spelling; undefined when not imported. */
  async findByUuid(uuid: string): Promise<Computer | undefined> {
    const row = await this.db.get<ComputerRow>('SELECT * FROM computers WHERE uuid = ?', [canonicalUuid(uuid)]);
    return row && toComputer(row);
  }

  async findByName(netbiosName: string): Promise<Computer | undefined> {
    const row = await this.db.get<ComputerRow>('SELECT * FROM computers WHERE upper(netbios_name) = upper(?)', [netbiosName]);
    return row && toComputer(row);
  }

  async findByFqdn(fqdn: string): Promise<Computer | undefined> {
    const row = await this.db.get<ComputerRow>('SELECT * FROM computers WHERE lower(fqdn) = lower(?)', [fqdn]);
    return row && toComputer(row);
  }

  async list(): Promise<Computer[]> {
    return (await this.db.all<ComputerRow>('SELECT * FROM computers ORDER BY netbios_name')).map(toComputer);
  }

  async add(computer: NewComputer): Promise<Computer> {
    const at = this.store.now().toISOString();
    const row = await this.db.get<ComputerRow>(
      'INSERT INTO computers (uuid, netbios_name, fqdn, mac, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
      [canonicalUuid(computer.uuid), computer.netbiosName, computer.fqdn, computer.mac ?? null, at, at]);
    return toComputer(row!);
  }

  /**
   * Read, change, write under the computer's row lock, so two roles changing different
   * fields of one computer at once both keep their change.
   */
  private modify(id: number, change: (current: Computer) => { set: string; params: SqlValue[] }): Promise<Computer> {
    return this.store.transaction(async (tx) => {
      await lockComputer(tx, id);
      const { set, params } = change(await tx.computers.get(id));
      await tx.db.run(`UPDATE computers SET ${set}, updated_at = ? WHERE id = ?`, [...params, this.store.now().toISOString(), id]);
      return tx.computers.get(id);
    });
  }

  /** Changes identity fields; a field left undefined keeps its value. */
  updateIdentity(id: number, change: Partial<Omit<NewComputer, 'uuid'>>): Promise<Computer> {
    return this.modify(id, (current) => ({
      set: 'netbios_name = ?, fqdn = ?, mac = ?',
      params: [change.netbiosName ?? current.netbiosName, change.fqdn ?? current.fqdn, change.mac === undefined ? current.mac : change.mac],
    }));
  }

  /** Records the AMT status; the reason explains Failed/Not Provisioned and is cleared otherwise. */
  async setStatus(id: number, status: AmtStatus, reason?: string): Promise<Computer> {
    if (!AMT_STATUSES.includes(status)) throw new Error(`unknown AMT status "${String(status)}"`);
    const at = this.store.now().toISOString();
    const { changes } = await this.db.run(
      'UPDATE computers SET amt_status = ?, status_reason = ?, updated_at = ?, provisioned_at = COALESCE(?, provisioned_at) WHERE id = ?',
      [status, reason ?? null, at, status === 'Provisioned' ? at : null, id]);
    if (changes === 0) throw new ComputerNotFoundError(`no computer with id ${id}`);
    return this.get(id);
  }

  setDeviceFacts(id: number, facts: {
    inBandManaged?: boolean; provisioningMode?: ProvisioningMode; firmwareVersion?: string; lastAddress?: string; trustedRootHashes?: string[];
  }): Promise<Computer> {
    return this.modify(id, (current) => ({
      set: 'in_band_managed = ?, provisioning_mode = ?, firmware_version = ?, last_address = ?, trusted_root_hashes = ?',
      params: [(facts.inBandManaged ?? current.inBandManaged) ? 1 : 0, facts.provisioningMode ?? current.provisioningMode,
        facts.firmwareVersion ?? current.firmwareVersion, facts.lastAddress ?? current.lastAddress,
        JSON.stringify(facts.trustedRootHashes ?? current.trustedRootHashes)],
    }));
  }

  /**
   * Trust on first use (docs/amt-protocol.md section 3): the first fingerprint seen is pinned;
   * later ones must match until an operator resets the pin. One conditional UPDATE, so of two
   * racing handshakes (on any hosts) exactly one pins and the other compares with it.
   */
  async pinDeviceCertificate(id: number, fingerprint: string): Promise<PinOutcome> {
    const normalized = fingerprint.replace(/:/g, '').toLowerCase();
    if (!/^[0-9a-f]{40,128}$/.test(normalized)) throw new Error('device certificate fingerprint must be hex');
    const { changes } = await this.db.run(
      'UPDATE computers SET device_cert_fingerprint = ?, updated_at = ? WHERE id = ? AND device_cert_fingerprint IS NULL',
      [normalized, this.store.now().toISOString(), id]);
    if (changes === 1) return 'pinned';
    return (await this.get(id)).deviceCertFingerprint === normalized ? 'matches' : 'mismatch';
  }

  /** Holds (or releases) the computer's Hellos: while held the listener starts no run for it. */
  async setProvisioningHeld(id: number, held: boolean): Promise<void> {
    const { changes } = await this.db.run('UPDATE computers SET provisioning_held = ?, updated_at = ? WHERE id = ?',
      [held ? 1 : 0, this.store.now().toISOString(), id]);
    if (changes === 0) throw new ComputerNotFoundError(`no computer with id ${id}`);
  }

  async resetDeviceCertificatePin(id: number): Promise<void> {
    const { changes } = await this.db.run('UPDATE computers SET device_cert_fingerprint = NULL, updated_at = ? WHERE id = ?',
      [this.store.now().toISOString(), id]);
    if (changes === 0) throw new ComputerNotFoundError(`no computer with id ${id}`);
  }

  /**
   * Stores a computer secret (MEBx password, AD account password, imported admin password)
   * in the vault and points the computer at it; the superseded secret is deleted.
   */
  setSecret(id: number, slot: ComputerSecretSlot, value: string): Promise<SecretRef> {
    const column = SLOT_COLUMN[slot];
    return this.store.transaction(async (tx) => {
      await lockComputer(tx, id);
      const previous = (await tx.db.get<{ ref: string | null }>(`SELECT ${column} AS ref FROM computers WHERE id = ?`, [id]))!.ref;
      const ref = await tx.vault.putSecret(SLOT_PURPOSE[slot], value);
      await tx.db.run(`UPDATE computers SET ${column} = ?, updated_at = ? WHERE id = ?`, [ref, this.store.now().toISOString(), id]);
      if (previous) await tx.vault.deleteSecret(previous);
      return ref;
    });
  }
}
