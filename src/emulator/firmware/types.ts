// The firmware's memory (docs/amt-protocol.md section 8): what one emulated device keeps in flash.
// Plain JSON-serialisable data; the Firmware class (firmware.ts) is the only writer.

/** Provisioning states; numeric values are PROVISIONING_STATE in src/contract/provisioning.ts. */
export type ProvisioningPhase = 'pre' | 'in' | 'post';

export type RootHashAlgorithm = 'sha1' | 'sha256' | 'sha384';

export interface TrustedRootHash {
  algorithm: RootHashAlgorithm;
  /** Lowercase hex of the hash of the root certificate's DER. */
  hash: string;
  /** Inactive hashes stay listed but are neither sent in Hellos nor accepted in TLS. */
  active: boolean;
  /** Friendly name, as AMT's hash table has one. */
  name: string;
}

/**
 * The remote admin account. The firmware keeps the Digest HA1 (MD5(user:realm:password)),
 * never the password: it is all Digest verification needs (docs/amt-protocol.md section 4).
 */
export interface AdminAccount {
  username: string;
  ha1: string;
  /** False for the factory account (`admin` + MEBx password); true once SetAdminAclEntry was committed. */
  setByServer: boolean;
}

/** A user ACL entry (AMT_AuthorizationService.AddUserAclEntryEx): Digest user or Kerberos SID. */
export interface UserAclEntry {
  handle: number;
  digestUsername?: string;
  /** HA1 of the Digest user, as for the admin account. */
  digestHa1?: string;
  kerberosUserSid?: string;
  accessPermission: number;
  realms: number[];
}

export interface KeyPairEntry {
  handle: number;
  /** PKCS#8 PEM. Never leaves the device except through the state file (the device's flash). */
  privateKeyPem: string;
  /** SPKI DER, base64: used to match certificates to keys. */
  publicKeyDer: string;
}

export interface CertificateEntry {
  handle: number;
  pem: string;
  /** Handle of the key pair whose public key this certificate carries, when the device holds it. */
  keyHandle?: number;
  /** Self-signed: a root the device may use as a trust anchor (e.g. for 802.1X). */
  isRoot: boolean;
}

export interface KeyStore {
  nextHandle: number;
  keyPairs: KeyPairEntry[];
  certificates: CertificateEntry[];
}

export interface TlsSettings {
  /** Made at first boot; served during setup and whenever no issued certificate is set. */
  selfSigned: { privateKeyPem: string; certificatePem: string };
  /** Set by SetTLSKeyAndCertificate: key store handles of the certificate the server issued. */
  keyHandle: number | null;
  certificateHandle: number | null;
  enabled: boolean;
}

export interface Features {
  ping: boolean;
  rmcpPing: boolean;
  webUi: boolean;
  sol: boolean;
  ider: boolean;
}

/** AMT_KerberosSettingData encryption algorithm values (0 RC4-HMAC, 1 AES128-, 2 AES256-CTS-HMAC-SHA1-96). */
export type KerberosAlgorithm = 0 | 1 | 2;

/**
 * The device's Kerberos long-term key: an RC4-HMAC master key given by the server (any AMT
 * release), or AES keys the firmware derived itself from a pass phrase (AMT 8 and later; the
 * pass phrase is not kept).
 */
export type KerberosKeyMaterial =
  | { kind: 'rc4-hmac'; /** Base64 of the 16-byte key, as AMT_KerberosSettingData carries it. */ masterKey: string }
  | { kind: 'aes'; salt: string; iterationCount: number; /** Base64 of each derived key. */ keys: { algorithm: 1 | 2; key: string }[] };

export interface KerberosSettings {
  realm: string;
  keyVersion: number;
  enabled: boolean;
  /** Minutes of clock skew accepted. */
  maximumClockTolerance: number;
  key: KerberosKeyMaterial | null;
}

/**
 * A wireless profile or 802.1X setting: the WS-Man properties as the phase 2 services
 * received them (names as in the AMT/CIM class), kept opaque here.
 */
export interface WsmanInstance {
  instanceId: string;
  properties: Record<string, string | number | boolean | string[]>;
}

export interface FirmwareState {
  /** Bumped when the layout changes; older layouts are upgraded on load (schema.ts), unknown ones refused. */
  schema: 2;
  uuid: string;
  firmwareVersion: string;
  provisioningMode: 'enterprise' | 'small-business';
  /** Committed phase: only 'pre' or 'post' are ever persisted ('in' is volatile, see firmware.ts). */
  provisioningState: ProvisioningPhase;
  /** `Digest:<32 uppercase hex>`, made at first boot, stable for the device's life. */
  digestRealm: string;
  trustedRootHashes: TrustedRootHash[];
  /** The MEBx password (kept in the clear like the device's own flash; redacted everywhere else). */
  mebx: { password: string; changed: boolean };
  admin: AdminAccount;
  userAcl: UserAclEntry[];
  hostName: string;
  domainName: string;
  /**
   * The DNS suffix rule 4 of section 3 checks against (MEBx PKI DNS suffix, else DHCP option 15).
   * Modelled as network configuration: no unprovision clears it.
   */
  dnsSuffix: string;
  /** A Wi-Fi radio is fitted (CIM_WiFiPort, wireless port settings and profiles exist only then). */
  hasRadio: boolean;
  /** Device clock = host clock + this offset (set by SetHighAccuracyTimeSynch). */
  clockOffsetMs: number;
  tls: TlsSettings;
  keyStore: KeyStore;
  /** One-time password set in-band (SetProvisioningServerOTP); null when none. */
  otp: string | null;
  features: Features;
  kerberos: KerberosSettings | null;
  /** AMT_SystemPowerScheme selected by SetPowerScheme (InstanceID), null = firmware default. */
  powerScheme: string | null;
  wirelessProfiles: WsmanInstance[];
  ieee8021x: WsmanInstance | null;
  /** ISO time of the last successful CommitChanges, for operators. */
  provisionedAt: string | null;
}

/** The setup settings phase 1 changes; staged during in-provisioning and applied by commit. */
export interface SetupSettings {
  hostName: string;
  domainName: string;
  tlsKeyHandle: number | null;
  tlsCertificateHandle: number | null;
  tlsEnabled: boolean;
  admin: AdminAccount;
  mebxPassword: string;
}
export type SetupSettingName = keyof SetupSettings;
