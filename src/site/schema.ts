// The site store's schema, as an ordered list of migrations. A migration is never edited
// once committed: change the schema by appending a new one, in both dialects (`sql` is
// SQLite's, `postgres` PostgreSQL's; the same version means the same tables in both).
export interface Migration {
  version: number;
  description: string;
  sql: string;
  postgres: string;
  /**
   * SQLite runs it with foreign key enforcement off and checks them all afterwards: what
   * SQLite's table rebuild procedure needs (https://www.sqlite.org/lang_altertable.html, "other
   * kinds of table schema changes"), as a CHECK constraint cannot be altered in place.
   */
  rebuildsTables?: boolean;
}

/** The migrations a store at version `current` still needs; refuses a store newer than this program. */
export function migrationsToApply(current: number, migrations: readonly Migration[]): Migration[] {
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(`site store schema version ${current} is newer than this program knows (${latest}); upgrade amt-provisioner`);
  }
  return migrations.filter((m) => m.version > current);
}

/**
 * AMT status as ConfigMgr reports it (Discover AMT Status: Unknown, Not Supported, Detected,
 * Not Provisioned, Provisioned, Externally Provisioned), plus Failed for a run that ended badly.
 */
export const AMT_STATUSES = ['Unknown', 'Not Supported', 'Detected', 'Not Provisioned', 'Provisioned', 'Externally Provisioned', 'Failed'] as const;

const sqlList = (values: readonly string[]): string => values.map((s) => `'${s}'`).join(', ');
/** The statuses migration 1 allowed; frozen, as a committed migration never changes. */
const statusList = sqlList(['Unknown', 'Detected', 'Not Provisioned', 'Provisioned', 'Failed']);

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'vault, computers, pending admin passwords, settings, certificates, audit log',
    sql: `
      CREATE TABLE secrets (
        ref TEXT PRIMARY KEY,
        purpose TEXT NOT NULL,
        key_id TEXT NOT NULL,
        iv BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        tag BLOB NOT NULL,
        created_at TEXT NOT NULL
      );

      CREATE TABLE computers (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE CHECK (uuid = lower(uuid) AND length(uuid) = 36),
        netbios_name TEXT NOT NULL,
        fqdn TEXT NOT NULL,
        mac TEXT,
        amt_status TEXT NOT NULL DEFAULT 'Unknown' CHECK (amt_status IN (${statusList})),
        status_reason TEXT,
        device_cert_fingerprint TEXT,
        in_band_managed INTEGER NOT NULL DEFAULT 0 CHECK (in_band_managed IN (0, 1)),
        provisioning_mode TEXT CHECK (provisioning_mode IN ('out-of-band', 'in-band')),
        firmware_version TEXT,
        mebx_password_ref TEXT REFERENCES secrets(ref),
        admin_password_ref TEXT REFERENCES secrets(ref),
        imported_admin_password_ref TEXT REFERENCES secrets(ref),
        ad_account_password_ref TEXT REFERENCES secrets(ref),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        provisioned_at TEXT
      );
      CREATE UNIQUE INDEX computers_netbios_name ON computers (upper(netbios_name));
      CREATE UNIQUE INDEX computers_fqdn ON computers (lower(fqdn));

      -- More than one pending password can exist: each interrupted attempt may have reached
      -- the device, so none is dropped until the device confirms one of them.
      CREATE TABLE pending_admin_passwords (
        id INTEGER PRIMARY KEY,
        computer_id INTEGER NOT NULL REFERENCES computers(id),
        password_ref TEXT NOT NULL UNIQUE REFERENCES secrets(ref),
        staged_at TEXT NOT NULL
      );
      CREATE INDEX pending_admin_passwords_computer ON pending_admin_passwords (computer_id);

      CREATE TABLE site_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        document TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE digest_accounts (
        id INTEGER PRIMARY KEY,
        position INTEGER NOT NULL UNIQUE,
        username TEXT NOT NULL,
        password_ref TEXT NOT NULL REFERENCES secrets(ref)
      );

      CREATE TABLE provisioning_certificates (
        id INTEGER PRIMARY KEY,
        leaf_sha256 TEXT NOT NULL UNIQUE,
        subject_cn TEXT NOT NULL,
        chain_pem TEXT NOT NULL,
        key_ref TEXT NOT NULL REFERENCES secrets(ref),
        root_sha1 TEXT NOT NULL,
        root_sha256 TEXT NOT NULL,
        root_sha384 TEXT NOT NULL,
        dns_suffix TEXT NOT NULL,
        not_after TEXT NOT NULL,
        created_at TEXT NOT NULL
      );

      CREATE TABLE issuing_ca (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        cert_pem TEXT NOT NULL,
        chain_pem TEXT NOT NULL,
        key_ref TEXT NOT NULL REFERENCES secrets(ref),
        subject TEXT NOT NULL,
        not_after TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      -- Keyed by UUID, not by computer id, so the history outlives a computer's row.
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        computer_uuid TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'info')),
        detail TEXT
      );
      CREATE INDEX audit_log_computer ON audit_log (computer_uuid, id);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `,
    postgres: `
      CREATE TABLE secrets (
        ref TEXT PRIMARY KEY,
        purpose TEXT NOT NULL,
        key_id TEXT NOT NULL,
        iv BYTEA NOT NULL,
        ciphertext BYTEA NOT NULL,
        tag BYTEA NOT NULL,
        created_at TEXT NOT NULL
      );

      -- COLLATE "C": listings sort by byte as in SQLite, whatever the database's locale.
      CREATE TABLE computers (
        id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE CHECK (uuid = lower(uuid) AND length(uuid) = 36),
        netbios_name TEXT COLLATE "C" NOT NULL,
        fqdn TEXT NOT NULL,
        mac TEXT,
        amt_status TEXT NOT NULL DEFAULT 'Unknown' CHECK (amt_status IN (${statusList})),
        status_reason TEXT,
        device_cert_fingerprint TEXT,
        in_band_managed INTEGER NOT NULL DEFAULT 0 CHECK (in_band_managed IN (0, 1)),
        provisioning_mode TEXT CHECK (provisioning_mode IN ('out-of-band', 'in-band')),
        firmware_version TEXT,
        mebx_password_ref TEXT REFERENCES secrets(ref),
        admin_password_ref TEXT REFERENCES secrets(ref),
        imported_admin_password_ref TEXT REFERENCES secrets(ref),
        ad_account_password_ref TEXT REFERENCES secrets(ref),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        provisioned_at TEXT
      );
      CREATE UNIQUE INDEX computers_netbios_name ON computers (upper(netbios_name));
      CREATE UNIQUE INDEX computers_fqdn ON computers (lower(fqdn));

      CREATE TABLE pending_admin_passwords (
        id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        computer_id INTEGER NOT NULL REFERENCES computers(id),
        password_ref TEXT NOT NULL UNIQUE REFERENCES secrets(ref),
        staged_at TEXT NOT NULL
      );
      CREATE INDEX pending_admin_passwords_computer ON pending_admin_passwords (computer_id);

      CREATE TABLE site_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        document TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE digest_accounts (
        id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        position INTEGER NOT NULL UNIQUE,
        username TEXT NOT NULL,
        password_ref TEXT NOT NULL REFERENCES secrets(ref)
      );

      CREATE TABLE provisioning_certificates (
        id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        leaf_sha256 TEXT NOT NULL UNIQUE,
        subject_cn TEXT NOT NULL,
        chain_pem TEXT NOT NULL,
        key_ref TEXT NOT NULL REFERENCES secrets(ref),
        root_sha1 TEXT NOT NULL,
        root_sha256 TEXT NOT NULL,
        root_sha384 TEXT NOT NULL,
        dns_suffix TEXT NOT NULL,
        not_after TEXT NOT NULL,
        created_at TEXT NOT NULL
      );

      CREATE TABLE issuing_ca (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        cert_pem TEXT NOT NULL,
        chain_pem TEXT NOT NULL,
        key_ref TEXT NOT NULL REFERENCES secrets(ref),
        subject TEXT NOT NULL,
        not_after TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE audit_log (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        computer_uuid TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'info')),
        detail TEXT
      );
      CREATE INDEX audit_log_computer ON audit_log (computer_uuid, id);
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
    `,
  },
  {
    version: 2,
    description: 'in-band registrations: the OTP hash a client agent sent, with its host facts',
    sql: `
      CREATE TABLE in_band_registrations (
        computer_id INTEGER PRIMARY KEY REFERENCES computers(id) ON DELETE CASCADE,
        otp_hash_ref TEXT NOT NULL REFERENCES secrets(ref),
        host_name TEXT NOT NULL,
        domain TEXT NOT NULL,
        agent_address TEXT NOT NULL,
        registered_at TEXT NOT NULL
      );
    `,
    postgres: `
      CREATE TABLE in_band_registrations (
        computer_id INTEGER PRIMARY KEY REFERENCES computers(id) ON DELETE CASCADE,
        otp_hash_ref TEXT NOT NULL REFERENCES secrets(ref),
        host_name TEXT NOT NULL,
        domain TEXT NOT NULL,
        agent_address TEXT NOT NULL,
        registered_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: 'computers: where the device was last reached and the root hashes it trusts (for operator retries)',
    sql: `
      ALTER TABLE computers ADD COLUMN last_address TEXT;
      ALTER TABLE computers ADD COLUMN trusted_root_hashes TEXT;
    `,
    postgres: `
      ALTER TABLE computers ADD COLUMN last_address TEXT, ADD COLUMN trusted_root_hashes TEXT;
    `,
  },
  {
    version: 4,
    description: 'enrolled agents: each bound to one computer (FQDN, and its UUID once known), revocable',
    sql: `
      CREATE TABLE agents (
        serial_number TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        fqdn TEXT NOT NULL,
        uuid TEXT,
        fingerprint_sha256 TEXT NOT NULL,
        not_after TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT
      );
      CREATE INDEX agents_name ON agents (name);
    `,
    postgres: `
      CREATE TABLE agents (
        serial_number TEXT PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        fqdn TEXT NOT NULL,
        uuid TEXT,
        fingerprint_sha256 TEXT NOT NULL,
        not_after TEXT NOT NULL,
        enrolled_at TEXT COLLATE "C" NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT
      );
      CREATE INDEX agents_name ON agents (name);
    `,
  },
  {
    version: 5,
    description: 'device TLS certificates: the site-issued certificate each device serves (expiry for renewal), and one pending renewal',
    sql: `
      -- state 'active': the certificate the device was last seen serving; 'pending': issued by a
      -- renewal and recorded before the device got it, promoted once the device serves it.
      CREATE TABLE device_tls_certificates (
        computer_id INTEGER NOT NULL REFERENCES computers(id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('active', 'pending')),
        fingerprint_sha256 TEXT NOT NULL CHECK (length(fingerprint_sha256) = 64),
        not_after TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (computer_id, state)
      );
      CREATE INDEX device_tls_certificates_expiry ON device_tls_certificates (state, not_after);
    `,
    postgres: `
      CREATE TABLE device_tls_certificates (
        computer_id INTEGER NOT NULL REFERENCES computers(id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('active', 'pending')),
        fingerprint_sha256 TEXT NOT NULL CHECK (length(fingerprint_sha256) = 64),
        -- ISO times compared as text: byte order, as in SQLite.
        not_after TEXT COLLATE "C" NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (computer_id, state)
      );
      CREATE INDEX device_tls_certificates_expiry ON device_tls_certificates (state, not_after);
    `,
  },
  {
    version: 6,
    description: 'discovery statuses (Not Supported, Externally Provisioned); Hellos held after an unprovision; revoked device certificates',
    // The computers table is rebuilt (new CHECK on amt_status); the other tables' REFERENCES
    // computers(id) point at the new one once it takes the name.
    rebuildsTables: true,
    sql: `
      CREATE TABLE computers_v5 (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE CHECK (uuid = lower(uuid) AND length(uuid) = 36),
        netbios_name TEXT NOT NULL,
        fqdn TEXT NOT NULL,
        mac TEXT,
        amt_status TEXT NOT NULL DEFAULT 'Unknown' CHECK (amt_status IN (${sqlList(AMT_STATUSES)})),
        status_reason TEXT,
        device_cert_fingerprint TEXT,
        in_band_managed INTEGER NOT NULL DEFAULT 0 CHECK (in_band_managed IN (0, 1)),
        provisioning_mode TEXT CHECK (provisioning_mode IN ('out-of-band', 'in-band')),
        firmware_version TEXT,
        mebx_password_ref TEXT REFERENCES secrets(ref),
        admin_password_ref TEXT REFERENCES secrets(ref),
        imported_admin_password_ref TEXT REFERENCES secrets(ref),
        ad_account_password_ref TEXT REFERENCES secrets(ref),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        provisioned_at TEXT,
        last_address TEXT,
        trusted_root_hashes TEXT,
        provisioning_held INTEGER NOT NULL DEFAULT 0 CHECK (provisioning_held IN (0, 1))
      );
      INSERT INTO computers_v5 (id, uuid, netbios_name, fqdn, mac, amt_status, status_reason, device_cert_fingerprint, in_band_managed,
        provisioning_mode, firmware_version, mebx_password_ref, admin_password_ref, imported_admin_password_ref, ad_account_password_ref,
        created_at, updated_at, provisioned_at, last_address, trusted_root_hashes)
        SELECT id, uuid, netbios_name, fqdn, mac, amt_status, status_reason, device_cert_fingerprint, in_band_managed,
        provisioning_mode, firmware_version, mebx_password_ref, admin_password_ref, imported_admin_password_ref, ad_account_password_ref,
        created_at, updated_at, provisioned_at, last_address, trusted_root_hashes FROM computers;
      DROP TABLE computers;
      ALTER TABLE computers_v5 RENAME TO computers;
      CREATE UNIQUE INDEX computers_netbios_name ON computers (upper(netbios_name));
      CREATE UNIQUE INDEX computers_fqdn ON computers (lower(fqdn));

      -- A device certificate the site issued and no longer stands behind (CRL entries).
      CREATE TABLE revoked_device_certificates (
        serial_number TEXT PRIMARY KEY CHECK (serial_number = lower(serial_number)),
        computer_uuid TEXT NOT NULL,
        fingerprint_sha256 TEXT NOT NULL,
        subject TEXT NOT NULL,
        not_after TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('superseded', 'keyCompromise', 'cessationOfOperation')),
        revoked_at TEXT NOT NULL
      );
    `,
    postgres: `
      ALTER TABLE computers
        DROP CONSTRAINT computers_amt_status_check,
        ADD CONSTRAINT computers_amt_status_check CHECK (amt_status IN (${sqlList(AMT_STATUSES)})),
        ADD COLUMN provisioning_held INTEGER NOT NULL DEFAULT 0 CHECK (provisioning_held IN (0, 1));

      CREATE TABLE revoked_device_certificates (
        serial_number TEXT COLLATE "C" PRIMARY KEY CHECK (serial_number = lower(serial_number)),
        computer_uuid TEXT NOT NULL,
        fingerprint_sha256 TEXT NOT NULL,
        subject TEXT NOT NULL,
        not_after TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('superseded', 'keyCompromise', 'cessationOfOperation')),
        revoked_at TEXT COLLATE "C" NOT NULL
      );
    `,
  },
];
