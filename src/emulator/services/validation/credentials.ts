// AMT's rules for user names, passwords, digest password hashes and Kerberos SIDs.
// Source: Intel AMT SDK "Valid Usernames and Passwords", as quoted by Intel's 2007 developer
// blog "Strong AMT ME passwords": user names are 1-16 characters of 7-bit ASCII 33-126 without
// : , < > & " ; "Admin" and names starting with "$$" are reserved for user ACL entries.
// Passwords are 8-32 characters of 7-bit ASCII 32-126 without : , " and need a digit, a
// lower-case and an upper-case Latin letter and a non-alphanumeric character above 32
// ("_" counts as alphanumeric, space does not count as a symbol). KerberosUserSid: wsman-
// messages (AMT SDK text): a byte array of at most 28 bytes whose length is a multiple of 4.

export const MAX_USERNAME_LENGTH = 16;

/** Why `username` breaks AMT's user name rule, or null. `forUserAcl` adds the reserved names. */
export function usernameProblem(username: string, forUserAcl: boolean): string | null {
  if (username.length === 0) return 'user name is empty';
  if (username.length > MAX_USERNAME_LENGTH) return `user name has ${username.length} characters (at most ${MAX_USERNAME_LENGTH})`;
  if (!/^[\x21-\x7e]+$/.test(username)) return 'user name must be 7-bit printable ASCII without spaces';
  if (/[:,<>&"]/.test(username)) return 'user name must not contain : , < > & or "';
  if (forUserAcl) {
    // Case-insensitive: the emulator's choice, so a user entry can never shadow the built-in "admin".
    if (username.toLowerCase() === 'admin') return 'user name "admin" is reserved for the administrator';
    if (username.startsWith('$$')) return 'user names starting with $$ are reserved for system accounts';
  }
  return null;
}

/** Reasons `password` breaks AMT's strong password rule (empty when it passes). Never quotes the password. */
export function passwordProblems(password: string): string[] {
  const problems: string[] = [];
  if (password.length < 8 || password.length > 32) problems.push(`must be 8 to 32 characters (has ${password.length})`);
  if (!/^[\x20-\x7e]*$/.test(password)) problems.push('must be 7-bit printable ASCII');
  if (/[:,"]/.test(password)) problems.push('must not contain : , or "');
  if (!/[0-9]/.test(password)) problems.push('needs a digit');
  if (!/[a-z]/.test(password)) problems.push('needs a lower-case letter');
  if (!/[A-Z]/.test(password)) problems.push('needs an upper-case letter');
  if (!/[\x21-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7e]/.test(password)) problems.push('needs a symbol (not _ or space)');
  return problems;
}

/** Strict base64 (RFC 4648, padded) to bytes; null when the text is not base64. */
export function decodeBase64(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  return Buffer.from(compact, 'base64');
}

/**
 * A digest password as AMT takes it (SetAdminAclEntry, AddUserAclEntryEx): base64 of the
 * 16-byte MD5(user:realm:password). Returns the HA1 as lowercase hex, or null when malformed.
 */
export function digestPasswordToHa1(base64: string): string | null {
  const bytes = decodeBase64(base64);
  return bytes?.length === 16 ? bytes.toString('hex') : null;
}

/** Why a base64 KerberosUserSid is unacceptable, or null. */
export function kerberosSidProblem(base64: string): string | null {
  const bytes = decodeBase64(base64);
  if (!bytes) return 'KerberosUserSid is not base64';
  if (bytes.length === 0 || bytes.length > 28 || bytes.length % 4 !== 0) return `KerberosUserSid has ${bytes.length} bytes (4-28, a multiple of 4)`;
  if (bytes[0] !== 1) return 'KerberosUserSid is not a revision 1 SID';
  if (bytes.length !== 8 + 4 * bytes[1]) return 'KerberosUserSid sub-authority count does not match its length';
  return null;
}
