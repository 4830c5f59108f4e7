// Validation and canonical forms of the identifiers a computer is known by. Each check
// returns the canonical value or a reason an operator can act on.
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = <T>(reason: string): Checked<T> => ({ ok: false, reason });

const GUID = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}$|^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

/**
 * SMBIOS UUID as text, with or without braces, any case -> canonical lowercase form.
 * All-zero and all-FF are SMBIOS's "not set" / "not present" markers, never a device.
 */
export function checkSmbiosUuid(text: string): Checked<string> {
  const match = GUID.exec(text.trim());
  if (!match) return bad(`SMBIOS GUID "${text}" is not of the form 8-4-4-4-12 hex digits`);
  const uuid = (match[1] ?? match[2]).toLowerCase();
  if (/^[0-]+$/.test(uuid)) return bad('SMBIOS GUID is all zeros (not set by the manufacturer)');
  if (/^[f-]+$/.test(uuid)) return bad('SMBIOS GUID is all FF (not present)');
  return ok(uuid);
}

/** Returns the canonical UUID or throws; for callers that hold a UUID from a trusted path. */
export function canonicalUuid(text: string): string {
  const checked = checkSmbiosUuid(text);
  if (!checked.ok) throw new Error(checked.reason);
  return checked.value;
}

// The short name becomes the AD computer name and the FQDN's host label, so it must satisfy
// both NetBIOS (15 characters) and DNS label rules.
export function checkNetbiosName(text: string): Checked<string> {
  const name = text.trim();
  if (name.length === 0) return bad('short name is empty');
  if (name.length > 15) return bad(`short name "${name}" is longer than 15 characters (NetBIOS limit)`);
  if (!/^[A-Za-z0-9-]+$/.test(name)) return bad(`short name "${name}" may contain only letters, digits and hyphens`);
  if (name.startsWith('-') || name.endsWith('-')) return bad(`short name "${name}" may not start or end with a hyphen`);
  if (/^[0-9]+$/.test(name)) return bad(`short name "${name}" may not be all digits`);
  return ok(name.toUpperCase());
}

export function checkFqdn(text: string): Checked<string> {
  const fqdn = text.trim().replace(/\.$/, '').toLowerCase();
  if (fqdn.length === 0) return bad('FQDN is empty');
  if (fqdn.length > 253) return bad('FQDN is longer than 253 characters');
  const labels = fqdn.split('.');
  if (labels.length < 2) return bad(`FQDN "${fqdn}" has no domain part`);
  for (const label of labels) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) {
      return bad(`FQDN "${fqdn}" has an invalid label "${label}"`);
    }
  }
  return ok(fqdn);
}

/** The FQDN's host label must be the short name (ConfigMgr reaches the device by both). */
export function checkFqdnMatchesName(fqdn: string, netbiosName: string): Checked<string> {
  const host = fqdn.split('.')[0];
  if (host.toUpperCase() !== netbiosName.toUpperCase()) {
    return bad(`FQDN host label "${host}" does not match short name "${netbiosName}"`);
  }
  return ok(fqdn);
}

/** ConfigMgr wants colon format (00:11:22:33:44:55); hyphens are accepted and normalised. */
export function checkMacAddress(text: string): Checked<string> {
  const mac = text.trim();
  if (!/^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$/.test(mac)) {
    return bad(`MAC address "${mac}" is not six hex pairs separated by colons`);
  }
  const canonical = mac.replace(/-/g, ':').toUpperCase();
  if (canonical === '00:00:00:00:00:00') return bad('MAC address is all zeros');
  // Only broadcast is refused, not every multicast-bit address: ConfigMgr's own documented
  // example (05:06:07:08:09:0A) has that bit set.
  if (canonical === 'FF:FF:FF:FF:FF:FF') return bad('MAC address is the broadcast address');
  return ok(canonical);
}
