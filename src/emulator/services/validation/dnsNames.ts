// DNS name rules the firmware applies to SetHostName / SetDomainName (docs/amt-protocol.md section
// 5, step 7.2) and to AMT_GeneralSettings Put. RFC 1035 / RFC 1123 host name syntax: labels of
// letters, digits and hyphens, 1-63 characters, not starting or ending with a hyphen.
// Public material does not give AMT's own limits; the emulator's choice: a host name is one
// label, a domain name is 1+ labels of at most 253 characters without a trailing dot, and the
// FQDN host.domain must also fit in 253 characters.

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export const MAX_DNS_NAME_LENGTH = 253;

/** Why `hostName` is not a valid host name, or null when it is. */
export function hostNameProblem(hostName: string): string | null {
  if (hostName.length === 0) return 'host name is empty';
  if (hostName.length > 63) return `host name has ${hostName.length} characters (at most 63)`;
  if (hostName.includes('.')) return 'host name must be a single DNS label (the domain is set separately)';
  if (!LABEL.test(hostName)) return 'host name may hold only letters, digits and inner hyphens';
  return null;
}

/** Why `domainName` is not a valid DNS domain name, or null when it is. */
export function domainNameProblem(domainName: string): string | null {
  if (domainName.length === 0) return 'domain name is empty';
  if (domainName.length > MAX_DNS_NAME_LENGTH) return `domain name has ${domainName.length} characters (at most ${MAX_DNS_NAME_LENGTH})`;
  const labels = domainName.split('.');
  const bad = labels.findIndex((label) => !LABEL.test(label));
  if (bad >= 0) {
    return labels[bad] === '' ? 'domain name has an empty label' : `domain label ${bad + 1} is not 1-63 letters, digits and inner hyphens`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return 'the top-level label of a domain name cannot be all digits';
  return null;
}

/** Why host.domain is too long, or null; either part may be empty (not set yet). */
export function fqdnProblem(hostName: string, domainName: string): string | null {
  if (hostName === '' || domainName === '') return null;
  const length = hostName.length + 1 + domainName.length;
  return length > MAX_DNS_NAME_LENGTH ? `FQDN would have ${length} characters (at most ${MAX_DNS_NAME_LENGTH})` : null;
}
