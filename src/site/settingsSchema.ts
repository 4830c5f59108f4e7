// The site's settings: directory, Digest accounts to try, AMT settings applied in phase 2,
// and the provisioning deadline. One schema describes both forms, parameterised by how a
// secret is written: the operator's YAML names a file or env var (`passwordFile:` /
// `passwordEnv:`), the stored document holds a vault reference.
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { SP1_POWER_SCHEME } from '../contract/provisioning';
import { amtPasswordProblems, amtUsernameProblem } from './amtPassword';
import type { SecretPurpose } from './vault';

/** AMT realms (AMT_AuthorizationService; wsman-messages Types.AuthorizationService.RealmValues). */
export const AMT_REALMS = {
  Redirection: 2, PTAdministration: 3, HardwareAsset: 4, RemoteControl: 5, Storage: 6, EventManager: 7,
  StorageAdmin: 8, AgentPresenceLocal: 9, AgentPresenceRemote: 10, CircuitBreaker: 11, NetworkTime: 12,
  GeneralInfo: 13, EndpointAccessControl: 17, EndpointAccessControlAdmin: 18, EventLogReader: 19,
  AuditLog: 20, ACL: 21, LocalSystem: 24,
} as const;
export type AmtRealm = keyof typeof AMT_REALMS;

/** AccessPermission of AddUserAclEntryEx. */
export const ACL_ACCESS = { local: 0, network: 1, any: 2 } as const;

/** CIM_WiFiEndpointSettings AuthenticationMethod / EncryptionMethod values. */
export const WIFI_AUTHENTICATION = { 'WPA-PSK': 4, 'WPA-IEEE8021x': 5, 'WPA2-PSK': 6, 'WPA2-IEEE8021x': 7 } as const;
export const WIFI_ENCRYPTION = { TKIP: 3, CCMP: 4 } as const;

/**
 * AuthenticationProtocol of CIM_IEEE8021xSettings, which IPS_IEEE8021xSettings (wired) and the
 * 802.1X part of AddWiFiSettings (wireless) both take: EAP-FAST/TLS is 10 there (CIM value map,
 * wsman-messages src/cim/types.ts), not AMT_8021XProfile's 6.
 */
export const IEEE8021X_PROTOCOLS = {
  'EAP-TLS': 0, 'EAP-TTLS/MSCHAPv2': 1, 'PEAPv0/EAP-MSCHAPv2': 2, 'EAP-FAST/MSCHAPv2': 4, 'EAP-FAST/TLS': 10,
} as const;
export type Ieee8021xProtocol = keyof typeof IEEE8021X_PROTOCOLS;

/** The methods that authenticate the device with a client certificate (and take no password). */
export const usesClientCertificate = (protocol: Ieee8021xProtocol): boolean => protocol.endsWith('TLS') && !protocol.includes('TTLS');

/** How an 802.1X client certificate is obtained: the site's issuing CA issues one per device, for a key the device generates. */
export const CLIENT_CERTIFICATE_SOURCES = ['site-ca-per-device'] as const;

/**
 * Why a PEM cannot be an 802.1X trust anchor on AMT, or [] when it can: one certificate, a
 * CA, self-signed (AddTrustedRootCertificate stores roots; SetCertificates' and
 * AddWiFiSettings' server issuer must be one).
 */
export function trustedRootProblems(pem: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length !== 1) return [`must hold exactly one PEM certificate (found ${blocks.length})`];
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(blocks[0]);
  } catch {
    return ['is not a parseable X.509 certificate'];
  }
  if (!cert.ca) return [`${cert.subject.replace(/\n/g, ', ')} is not a CA certificate`];
  if (cert.subject !== cert.issuer || !cert.verify(cert.publicKey)) return [`${cert.subject.replace(/\n/g, ', ')} is not self-signed (give the RADIUS server's root CA)`];
  return [];
}

/** The secret-password rules the site checks at load time (the firmware enforces the same). */
export function secretValueProblems(purpose: SecretPurpose, value: string): string[] {
  switch (purpose) {
    case 'mebx-password':
    case 'acl-user-password':
    case 'digest-account-password':
    case 'admin-password':
      return amtPasswordProblems(value);
    case 'wifi-passphrase':
      return /^[\x20-\x7e]{8,63}$/.test(value) ? [] : ['must be 8 to 63 printable ASCII characters (WPA passphrase)'];
    default:
      return value.length > 0 ? [] : ['is empty'];
  }
}

const realmName = z.enum(Object.keys(AMT_REALMS) as [AmtRealm, ...AmtRealm[]]);
const accessPermission = z.enum(['local', 'network', 'any']);
const kerberosSid = z.string().regex(/^S-1-\d+(-\d+)+$/, 'must be a Windows SID like S-1-5-21-...');

function amtUsername(aclEntry: boolean) {
  return z.string().superRefine((name, ctx) => {
    const problem = amtUsernameProblem(name, { aclEntry });
    if (problem) ctx.addIssue({ code: 'custom', message: `user name ${problem}` });
  });
}

/** "24h", "90m", "3600s", "2d" or a number of seconds -> seconds, within [min, max] seconds. */
function duration(min: { seconds: number; text: string }, max: { seconds: number; text: string }) {
  return z.union([
    z.number().int().positive(),
    z.string().regex(/^\d+\s*[smhd]$/, 'must be a duration like 90m, 24h, 2d').transform((text) => {
      const unit = { s: 1, m: 60, h: 3600, d: 86400 }[text.trim().slice(-1) as 's' | 'm' | 'h' | 'd'];
      return parseInt(text, 10) * unit;
    }),
  ]).pipe(z.number().int().min(min.seconds, `must be at least ${min.text}`).max(max.seconds, `must be at most ${max.text}`));
}

export const durationSeconds = duration({ seconds: 60, text: 'one minute' }, { seconds: 30 * 86400, text: '30 days' });

/**
 * The site's maintenance tasks (issue 11), each a Temporal Schedule (src/schedules): how often
 * it runs, how many devices at once, how long one device may stay unreachable before the run
 * reports it (it is tried again at the next run). Disabled: the schedule exists, paused.
 */
const DAY = 86400;

function maintenanceTask(defaults: { enabled: boolean; intervalDays: number }) {
  return {
    enabled: z.boolean().default(defaults.enabled),
    // Short intervals are for tests and demos; a fleet wants days.
    interval: duration({ seconds: 10, text: '10 seconds' }, { seconds: 366 * DAY, text: '366 days' }).default(defaults.intervalDays * DAY),
    concurrency: z.number().int().min(1).max(500).default(10),
    retryFor: duration({ seconds: 10, text: '10 seconds' }, { seconds: 7 * DAY, text: '7 days' }).default(3600),
  };
}

const maintenance = z.object({
  // ConfigMgr's "Evaluate Provisioned AMT Computer Certificates": weekly, 42 days before expiry.
  certificateRenewal: z.object({
    ...maintenanceTask({ enabled: true, intervalDays: 7 }),
    window: duration({ seconds: 60, text: 'one minute' }, { seconds: 3650 * DAY, text: '3650 days' }).default(42 * DAY),
  }).strict().prefault({}),
  // ConfigMgr's "Reset AMT Computer Passwords": every 28 days.
  passwordReset: z.object(maintenanceTask({ enabled: true, intervalDays: 28 })).strict().prefault({}),
  // Status discovery (issue 11 item 4): optional, off by default (the whole site, daily when on).
  discovery: z.object(maintenanceTask({ enabled: false, intervalDays: 1 })).strict().prefault({}),
}).strict();

/** The stored form of a certificate field: the PEM itself (public, so not in the vault). */
export const storedCertificatePem = z.string().superRefine((pem, ctx) => {
  for (const problem of trustedRootProblems(pem)) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * Builds the settings schema; `secret(purpose)` is the schema of a secret field (a source in
 * YAML, a vault reference in the store), `rootCertificate` that of a trusted root (a PEM file
 * in YAML, the PEM in the store).
 */
export function siteSettingsSchema<S extends z.ZodType, C extends z.ZodType<string, unknown>>(
  secret: (purpose: SecretPurpose) => S,
  rootCertificate: C,
) {
  const ieee8021x = z.object({
    protocol: z.enum(Object.keys(IEEE8021X_PROTOCOLS) as [Ieee8021xProtocol]),
    username: z.string().min(1).max(128),
    password: secret('ieee8021x-password').optional(),
    domain: z.string().min(1).optional(),
    serverCertificateName: z.string().min(1).optional(),
    serverCertificateNameComparison: z.enum(['FullName', 'DomainSuffix']).default('FullName'),
    // The root CA that issued the RADIUS server's certificate: the device trusts it for 802.1X.
    radiusRootCertificate: rootCertificate.optional(),
    clientCertificate: z.enum(CLIENT_CERTIFICATE_SOURCES).optional(),
  }).strict().superRefine((profile, ctx) => {
    const needsPassword = profile.protocol.includes('MSCHAPv2');
    if (needsPassword && profile.password === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: `${profile.protocol} needs a password` });
    }
    if (!needsPassword && profile.password !== undefined) {
      // EAP-TLS authenticates with the device's client certificate, not a password.
      ctx.addIssue({ code: 'custom', path: ['password'], message: `${profile.protocol} takes no password` });
    }
    const tls = usesClientCertificate(profile.protocol);
    if (tls && profile.clientCertificate === undefined) {
      ctx.addIssue({ code: 'custom', path: ['clientCertificate'], message: `${profile.protocol} needs a client certificate: write clientCertificate: ${CLIENT_CERTIFICATE_SOURCES[0]}` });
    }
    if (!tls && profile.clientCertificate !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['clientCertificate'], message: `${profile.protocol} takes no client certificate` });
    }
    // The device must check the RADIUS server; with a client certificate it has no other proof.
    if (tls && profile.radiusRootCertificate === undefined) {
      ctx.addIssue({ code: 'custom', path: ['radiusRootCertificate'], message: `${profile.protocol} needs the RADIUS server's root CA (radiusRootCertificate: { pemFile: <path> })` });
    }
  });

  // A digest user (username + password) or a Kerberos user (SID); one object rather than a
  // union so a mistake is reported on the offending key.
  const userAcl = z.object({
    username: amtUsername(true).optional(),
    password: secret('acl-user-password').optional(),
    kerberosSid: kerberosSid.optional(),
    access: accessPermission.default('network'),
    realms: z.array(realmName).min(1),
  }).strict().superRefine((entry, ctx) => {
    const digest = entry.username !== undefined || entry.password !== undefined;
    if (digest && entry.kerberosSid !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['kerberosSid'], message: 'an entry is either a digest user (username, password) or a Kerberos SID, not both' });
    } else if (!digest && entry.kerberosSid === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'needs username and password, or kerberosSid' });
    } else if (digest && entry.username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'a digest user needs a username' });
    } else if (digest && entry.password === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'a digest user needs a password' });
    }
  });

  const wirelessProfile = z.object({
    // AMT profile names: up to 32 alphanumerics (AMT_WiFiPortConfigurationService.AddWiFiSettings).
    profileName: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1 to 32 letters or digits'),
    ssid: z.string().min(1).max(32),
    priority: z.number().int().min(0).max(255).default(1),
    authentication: z.enum(Object.keys(WIFI_AUTHENTICATION) as [keyof typeof WIFI_AUTHENTICATION]),
    encryption: z.enum(Object.keys(WIFI_ENCRYPTION) as [keyof typeof WIFI_ENCRYPTION]).default('CCMP'),
    passphrase: secret('wifi-passphrase').optional(),
    ieee8021x: ieee8021x.optional(),
  }).strict().superRefine((profile, ctx) => {
    const psk = profile.authentication.endsWith('PSK');
    if (psk && profile.passphrase === undefined) ctx.addIssue({ code: 'custom', path: ['passphrase'], message: `${profile.authentication} needs a passphrase` });
    if (psk && profile.ieee8021x) ctx.addIssue({ code: 'custom', path: ['ieee8021x'], message: `${profile.authentication} takes no 802.1X profile` });
    if (!psk && !profile.ieee8021x) ctx.addIssue({ code: 'custom', path: ['ieee8021x'], message: `${profile.authentication} needs an 802.1X profile` });
    if (!psk && profile.passphrase !== undefined) ctx.addIssue({ code: 'custom', path: ['passphrase'], message: `${profile.authentication} takes no passphrase` });
    // AddWiFiSettings takes an 802.1X profile only with its CACredential (the RADIUS root).
    if (profile.ieee8021x && profile.ieee8021x.radiusRootCertificate === undefined && !usesClientCertificate(profile.ieee8021x.protocol)) {
      ctx.addIssue({ code: 'custom', path: ['ieee8021x', 'radiusRootCertificate'], message: 'a wireless 802.1X profile needs the RADIUS server\'s root CA (radiusRootCertificate: { pemFile: <path> })' });
    }
  });

  const mebx = z.object({
    // never: leave the device's MEBx password alone; if-default: set it only while the
    // device still has the factory default (ConfigMgr's behaviour); always: set it whenever
    // the firmware allows (docs/amt-protocol.md 5, step 7.5).
    policy: z.enum(['never', 'if-default', 'always']).default('never'),
    password: secret('mebx-password').optional(),
  }).strict().superRefine((value, ctx) => {
    if (value.policy !== 'never' && value.password === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: `policy "${value.policy}" needs a password` });
    }
  });

  const amt = z.object({
    configMgrBehaviour: z.enum(['SP1', 'SP2']).default('SP2'),
    pingResponse: z.boolean().default(true),
    webConsole: z.boolean().default(true),
    serialOverLan: z.boolean().default(true),
    ideRedirection: z.boolean().default(true),
    // AMT_SystemPowerScheme; SP1 always applies 5 ("on in all states but power loss").
    powerScheme: z.number().int().min(1).max(255).default(SP1_POWER_SCHEME),
    userAcls: z.array(userAcl).default([]),
    wireless: z.array(wirelessProfile).default([]).superRefine((profiles, ctx) => {
      const seen = new Set<string>();
      profiles.forEach((p, i) => {
        if (seen.has(p.profileName)) ctx.addIssue({ code: 'custom', path: [i, 'profileName'], message: `duplicate profile name "${p.profileName}"` });
        seen.add(p.profileName);
      });
    }),
    wired8021x: ieee8021x.optional(),
    mebx: mebx.prefault({}),
  }).strict();

  const directory = z.object({
    url: z.string().regex(/^ldaps:\/\/[^/\s]+\/?$/, 'must be an ldaps:// URL (the directory is reached over TLS only)'),
    bindDn: z.string().min(1),
    bindPassword: secret('directory-bind-password'),
    caCertPem: z.string().regex(/-----BEGIN CERTIFICATE-----/, 'must be a PEM certificate').optional(),
    // The name in the DC's certificate when the URL uses an address it does not list (e.g. 127.0.0.1).
    tlsServerName: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a DNS name').optional(),
    computerOu: z.string().regex(/^(OU|CN)=/i, 'must be a distinguished name like OU=AMT,DC=amt,DC=test'),
    kerberosRealm: z.string().regex(/^[A-Z0-9.-]+$/, 'must be an upper-case realm like AMT.TEST'),
  }).strict();

  return z.object({
    directory: directory.optional(),
    digestAccounts: z.array(z.object({ username: amtUsername(false), password: secret('digest-account-password') }).strict()).default([]),
    amt: amt.prefault({}),
    // How long a device may stay unreachable during a run before the run ends Failed.
    provisioningDeadline: durationSeconds.default(24 * 3600),
    maintenance: maintenance.prefault({}),
  }).strict();
}
