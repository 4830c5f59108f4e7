// The AMT device's AD computer account (seed step: "create the AD computer account with
// SPNs"): found by sAMAccountName NAME$ anywhere under the base DN, created in the configured
// OU when missing, otherwise brought to the wanted state in place. Reads before it writes,
// and writes only what differs (the password is always set: it cannot be read back).
import { Attribute, Change, type Client, type Entry, EqualityFilter, OrFilter } from 'ldapts';
import { DirectoryError, toDirectoryError } from './errors';
import { sidToString } from './sid';
import { normalizeDn, parentDn } from './validate';

/** AMT's HTTP and HTTPS ports (docs/amt-protocol.md section 1); Kerberos clients ask for these SPNs. */
const AMT_PORTS = [16992, 16993] as const;

/** userAccountControl bits: WORKSTATION_TRUST_ACCOUNT and ACCOUNTDISABLE. */
const UF_WORKSTATION_TRUST_ACCOUNT = 0x1000;
const UF_ACCOUNTDISABLE = 0x2;

const ACCOUNT_ATTRIBUTES = [
  'objectClass', 'sAMAccountName', 'dNSHostName', 'servicePrincipalName', 'userAccountControl',
  'msDS-SupportedEncryptionTypes', 'objectSid', 'msDS-KeyVersionNumber',
];

export interface ComputerAccount {
  dn: string;
  /** NAME$ */
  samAccountName: string;
  dnsHostName?: string;
  spns: string[];
  userAccountControl: number;
  supportedEncryptionTypes?: number;
  /** S-1-5-21-... */
  objectSid: string;
  /** msDS-KeyVersionNumber: AMT_KerberosSettingData.KeyVersion must match it. */
  keyVersion: number;
}

/** Validated input of ensureComputerAccount (see DirectoryClient for the checks). */
export interface WantedComputerAccount {
  baseDn: string;
  ou: string;
  netbiosName: string;
  fqdn: string;
  password: string;
  supportedEncryptionTypes: number;
}

export interface EnsuredComputerAccount extends ComputerAccount {
  created: boolean;
  /** Attributes written by this call (unicodePwd always, when the account existed). */
  changed: string[];
}

export function amtSpns(fqdn: string, netbiosName: string): string[] {
  return [fqdn, netbiosName].flatMap((host) => AMT_PORTS.map((port) => `HTTP/${host}:${port}`));
}

/** unicodePwd is the UTF-16LE encoding of the password in double quotes (MS-ADTS 3.1.1.3.1.5). */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

function values(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : entry[key];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}

function toAccount(entry: Entry): ComputerAccount {
  const sid = entry.objectSid;
  const sidBytes = Array.isArray(sid) ? sid[0] : sid;
  const encTypes = values(entry, 'msDS-SupportedEncryptionTypes')[0];
  return {
    dn: entry.dn,
    samAccountName: values(entry, 'sAMAccountName')[0] ?? '',
    dnsHostName: values(entry, 'dNSHostName')[0],
    spns: values(entry, 'servicePrincipalName'),
    userAccountControl: Number(values(entry, 'userAccountControl')[0] ?? 0),
    supportedEncryptionTypes: encTypes === undefined ? undefined : Number(encTypes),
    objectSid: Buffer.isBuffer(sidBytes) ? sidToString(sidBytes) : '',
    keyVersion: Number(values(entry, 'msDS-KeyVersionNumber')[0] ?? 0),
  };
}

function isComputer(entry: Entry): boolean {
  return values(entry, 'objectClass').some((c) => c.toLowerCase() === 'computer');
}

/** Directly in ou (where we create accounts), not in a sub-OU. */
function inOu(entry: Entry, ou: string): boolean {
  return normalizeDn(parentDn(entry.dn)) === normalizeDn(ou);
}

async function findBySamAccountName(client: Client, baseDn: string, samAccountName: string): Promise<Entry | undefined> {
  const { searchEntries } = await client.search(baseDn, {
    scope: 'sub',
    filter: new EqualityFilter({ attribute: 'sAMAccountName', value: samAccountName }),
    attributes: ACCOUNT_ATTRIBUTES,
    explicitBufferAttributes: ['objectSid'],
  });
  return searchEntries[0];
}

async function readAccount(client: Client, dn: string): Promise<ComputerAccount> {
  const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ACCOUNT_ATTRIBUTES, explicitBufferAttributes: ['objectSid'] });
  const entry = searchEntries[0];
  if (!entry) throw new DirectoryError('DirectoryOperationFailed', `${dn} vanished right after it was written`, true);
  return toAccount(entry);
}

export async function findComputerAccount(client: Client, baseDn: string, netbiosName: string): Promise<ComputerAccount | undefined> {
  const entry = await findBySamAccountName(client, baseDn, `${netbiosName}$`);
  return entry && isComputer(entry) ? toAccount(entry) : undefined;
}

async function assertOuExists(client: Client, ou: string): Promise<void> {
  try {
    await client.search(ou, { scope: 'base', attributes: ['1.1'] });
  } catch (err) {
    if ((err as { code?: number }).code === 32) {
      throw new DirectoryError('OuNotFound', `the OU ${ou} does not exist in the directory; create it or fix the configured OU`, false, { cause: err, ldapCode: 32 });
    }
    throw toDirectoryError(err, `read OU ${ou}`, []);
  }
}

/** The first object other than ownDn that holds one of the SPNs (case-insensitive, as AD compares them). */
async function findSpnHolder(client: Client, baseDn: string, spns: string[], ownDn?: string): Promise<{ dn: string; spn: string } | undefined> {
  const { searchEntries } = await client.search(baseDn, {
    scope: 'sub',
    filter: new OrFilter({ filters: spns.map((spn) => new EqualityFilter({ attribute: 'servicePrincipalName', value: spn })) }),
    attributes: ['servicePrincipalName'],
  });
  const own = ownDn === undefined ? undefined : normalizeDn(ownDn);
  for (const entry of searchEntries) {
    if (own !== undefined && normalizeDn(entry.dn) === own) continue;
    const held = values(entry, 'servicePrincipalName').map((s) => s.toLowerCase());
    const spn = spns.find((s) => held.includes(s.toLowerCase()));
    if (spn) return { dn: entry.dn, spn };
  }
  return undefined;
}

function spnConflict(holder: { dn: string; spn: string }, cause?: unknown): DirectoryError {
  return new DirectoryError('SpnConflict', `the SPN ${holder.spn} is already registered on ${holder.dn}; remove it there first`, false,
    { conflictingDn: holder.dn, ldapCode: 19, cause });
}

/** Maps a failed add/modify, looking up who holds an SPN when the server reports a constraint violation. */
async function writeFailure(client: Client, err: unknown, doing: string, wanted: WantedComputerAccount, spns: string[], ownDn?: string): Promise<DirectoryError> {
  const code = (err as { code?: number }).code;
  if (code === 19) {
    const holder = await findSpnHolder(client, wanted.baseDn, spns, ownDn).catch(() => undefined);
    if (holder) return spnConflict(holder, err);
  }
  if (code === 32) return new DirectoryError('OuNotFound', `${doing} failed: the OU ${wanted.ou} does not exist`, false, { cause: err, ldapCode: 32 });
  if (code === 68) {
    return new DirectoryError('AccountNameConflict', `${doing} failed: an object with that name already exists in ${wanted.ou} ` +
      `but its sAMAccountName is not ${wanted.netbiosName}$`, false, { cause: err, ldapCode: 68 });
  }
  return toDirectoryError(err, doing, [wanted.password]);
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

function replace(type: string, vals: string[] | Buffer[]): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values: vals }) });
}

async function createAccount(client: Client, wanted: WantedComputerAccount, spns: string[]): Promise<EnsuredComputerAccount> {
  const dn = `CN=${wanted.netbiosName},${wanted.ou}`;
  try {
    await client.add(dn, [
      new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'user', 'computer'] }),
      new Attribute({ type: 'cn', values: [wanted.netbiosName] }),
      new Attribute({ type: 'sAMAccountName', values: [`${wanted.netbiosName}$`] }),
      new Attribute({ type: 'userAccountControl', values: [String(UF_WORKSTATION_TRUST_ACCOUNT)] }),
      new Attribute({ type: 'dNSHostName', values: [wanted.fqdn] }),
      new Attribute({ type: 'servicePrincipalName', values: spns }),
      new Attribute({ type: 'msDS-SupportedEncryptionTypes', values: [String(wanted.supportedEncryptionTypes)] }),
      new Attribute({ type: 'unicodePwd', values: [unicodePwd(wanted.password)] }),
    ]);
  } catch (err) {
    if ((err as { code?: number }).code === 68) {
      // Created meanwhile (a concurrent run, or our own add whose answer was lost): update that one.
      const entry = await findBySamAccountName(client, wanted.baseDn, `${wanted.netbiosName}$`);
      if (entry && isComputer(entry) && inOu(entry, wanted.ou)) return updateAccount(client, toAccount(entry), wanted, spns);
    }
    throw await writeFailure(client, err, `add ${dn}`, wanted, spns);
  }
  return { ...(await readAccount(client, dn)), created: true, changed: [] };
}

async function updateAccount(client: Client, current: ComputerAccount, wanted: WantedComputerAccount, spns: string[]): Promise<EnsuredComputerAccount> {
  const changes: Change[] = [];
  if (current.dnsHostName !== wanted.fqdn) changes.push(replace('dNSHostName', [wanted.fqdn]));
  if (!sameSet(current.spns, spns)) changes.push(replace('servicePrincipalName', spns));
  // Keep flags an administrator added; make sure it is a workstation account and enabled.
  const uac = (current.userAccountControl | UF_WORKSTATION_TRUST_ACCOUNT) & ~UF_ACCOUNTDISABLE;
  if (uac !== current.userAccountControl) changes.push(replace('userAccountControl', [String(uac)]));
  if (current.supportedEncryptionTypes !== wanted.supportedEncryptionTypes) {
    changes.push(replace('msDS-SupportedEncryptionTypes', [String(wanted.supportedEncryptionTypes)]));
  }
  changes.push(replace('unicodePwd', [unicodePwd(wanted.password)]));
  try {
    await client.modify(current.dn, changes);
  } catch (err) {
    throw await writeFailure(client, err, `modify ${current.dn}`, wanted, spns, current.dn);
  }
  return { ...(await readAccount(client, current.dn)), created: false, changed: changes.map((c) => c.modification.type) };
}

export async function ensureComputerAccount(client: Client, wanted: WantedComputerAccount): Promise<EnsuredComputerAccount> {
  const spns = amtSpns(wanted.fqdn, wanted.netbiosName);
  await assertOuExists(client, wanted.ou);
  const entry = await findBySamAccountName(client, wanted.baseDn, `${wanted.netbiosName}$`);
  if (entry && !isComputer(entry)) {
    throw new DirectoryError('AccountNameConflict', `the name ${wanted.netbiosName}$ belongs to ${entry.dn}, which is not a computer account`,
      false, { conflictingDn: entry.dn });
  }
  if (entry && !inOu(entry, wanted.ou)) {
    // A same-named account elsewhere may be the host OS's own domain membership: resetting
    // its password or moving it would break that computer, so an operator decides.
    throw new DirectoryError('AccountOutsideOu', `a computer account ${wanted.netbiosName}$ already exists at ${entry.dn}, outside the ` +
      `configured OU ${wanted.ou}; move or delete it, or provision this device under another name`, false, { conflictingDn: entry.dn });
  }
  const holder = await findSpnHolder(client, wanted.baseDn, spns, entry?.dn);
  if (holder) throw spnConflict(holder);
  return entry ? updateAccount(client, toAccount(entry), wanted, spns) : createAccount(client, wanted, spns);
}

/** Deletes the account if it exists in ou; missing is not an error. Refuses one outside ou. */
export async function deleteComputerAccount(client: Client, baseDn: string, ou: string, netbiosName: string): Promise<{ deleted: boolean; dn?: string }> {
  const entry = await findBySamAccountName(client, baseDn, `${netbiosName}$`);
  if (!entry) return { deleted: false };
  if (!isComputer(entry) || !inOu(entry, ou)) {
    throw new DirectoryError(isComputer(entry) ? 'AccountOutsideOu' : 'AccountNameConflict',
      `refusing to delete ${entry.dn}: it is not a computer account in the configured OU ${ou}`, false, { conflictingDn: entry.dn });
  }
  try {
    await client.del(entry.dn);
  } catch (err) {
    if ((err as { code?: number }).code === 32) return { deleted: false, dn: entry.dn };
    throw toDirectoryError(err, `delete ${entry.dn}`, []);
  }
  return { deleted: true, dn: entry.dn };
}
