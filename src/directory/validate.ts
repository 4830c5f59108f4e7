// Input checks run before any connection is made, each failing with the field it names.
import { invalidInput } from './errors';

/**
 * NetBIOS computer names allow more than this (e.g. `!@#$%^&')(.{}~_`), but this name is also
 * the host's DNS label and part of two SPNs, so we take the DNS-safe subset: letters, digits
 * and inner hyphens, 1-15 characters, not all digits. Returned upper-case, as Windows writes it.
 */
export function validateNetbiosName(value: unknown, field = 'netbiosName'): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidInput(field, 'required (1-15 characters)');
  if (value.length > 15) throw invalidInput(field, `"${value}" is ${value.length} characters; a NetBIOS name has at most 15`);
  if (!/^[A-Za-z0-9-]+$/.test(value)) throw invalidInput(field, `"${value}" may contain only letters, digits and hyphens`);
  if (value.startsWith('-') || value.endsWith('-')) throw invalidInput(field, `"${value}" may not start or end with a hyphen`);
  if (/^\d+$/.test(value)) throw invalidInput(field, `"${value}" may not be all digits`);
  return value.toUpperCase();
}

/** A fully qualified DNS host name (at least two labels), returned lower-case. */
export function validateFqdn(value: unknown, field = 'fqdn'): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidInput(field, 'required');
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length > 253) throw invalidInput(field, `"${value}" is longer than 253 characters`);
  const labels = name.split('.');
  if (labels.length < 2) throw invalidInput(field, `"${value}" is not fully qualified (expected host.domain)`);
  for (const label of labels) {
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label)) {
      throw invalidInput(field, `"${value}" has an invalid label "${label}" (1-63 letters, digits, inner hyphens)`);
    }
  }
  return name.toLowerCase();
}

/** A password as AD accepts it in unicodePwd: 1-256 characters, no NUL. Never echoed. */
export function validatePassword(value: unknown, field = 'password'): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidInput(field, 'required');
  if (value.length > 256) throw invalidInput(field, 'longer than 256 characters');
  if (value.includes('\0')) throw invalidInput(field, 'contains a NUL character');
  return value;
}

/** Splits a DN into its RDNs at commas that are not escaped with a backslash. */
export function splitDn(dn: string): string[] {
  const rdns: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i += 1) {
    const ch = dn[i];
    if (ch === '\\' && i + 1 < dn.length) {
      current += ch + dn[i + 1];
      i += 1;
    } else if (ch === ',') {
      rdns.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  rdns.push(current.trim());
  return rdns;
}

/** Comparable form of a DN: attribute names and values lower-cased, spaces around separators removed. */
export function normalizeDn(dn: string): string {
  return splitDn(dn).map((rdn) => {
    const eq = rdn.indexOf('=');
    return `${rdn.slice(0, eq).trim()}=${rdn.slice(eq + 1).trim()}`.toLowerCase();
  }).join(',');
}

/** The DN one level up (the container an object lives in). */
export function parentDn(dn: string): string {
  return splitDn(dn).slice(1).join(',');
}

/** A syntactically valid DN: every RDN is attr=value with a non-empty value. Returned trimmed. */
export function validateDn(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw invalidInput(field, 'required (a distinguished name)');
  const dn = value.trim();
  for (const rdn of splitDn(dn)) {
    if (!/^[A-Za-z][A-Za-z0-9-]*\s*=\s*\S/.test(rdn)) throw invalidInput(field, `"${dn}" is not a valid DN (bad component "${rdn}")`);
  }
  return splitDn(dn).join(',');
}

/** The OU (or container, e.g. CN=Computers) that will hold computer accounts, inside the base DN. */
export function validateOu(value: unknown, baseDn: string, field = 'ou'): string {
  const ou = validateDn(value, field);
  if (!/^(ou|cn)\s*=/i.test(ou)) throw invalidInput(field, `"${ou}" must name an OU (OU=...) or a container (CN=...)`);
  const normalized = normalizeDn(ou);
  const base = normalizeDn(baseDn);
  if (normalized !== base && !normalized.endsWith(`,${base}`)) throw invalidInput(field, `"${ou}" is not inside the base DN ${baseDn}`);
  return ou;
}

/** Bits of msDS-SupportedEncryptionTypes we allow: RC4-HMAC (4), AES128 (8), AES256 (16). */
export function validateEncryptionTypes(value: unknown, field = 'supportedEncryptionTypes'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || (value & ~0x1c) !== 0) {
    throw invalidInput(field, `${String(value)} is not a combination of 4 (RC4-HMAC), 8 (AES128) and 16 (AES256)`);
  }
  return value;
}
