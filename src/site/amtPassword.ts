// Intel AMT's strong password rule (AMT SDK "Valid Usernames and Passwords"; MEBx manuals):
// 8-32 characters of 7-bit printable ASCII without : , " ; at least one digit, one lowercase,
// one uppercase and one non-alphanumeric character, where _ and space do not count as one.
// The firmware refuses a weaker admin or MEBx password, so the site checks before it tries.
import { randomInt } from 'node:crypto';

/** Reasons the password fails the rule (empty when it passes). Never echoes the password. */
export function amtPasswordProblems(password: string): string[] {
  const problems: string[] = [];
  if (password.length < 8 || password.length > 32) problems.push(`must be 8 to 32 characters (has ${password.length})`);
  if (!/^[\x20-\x7e]*$/.test(password)) problems.push('must use only printable 7-bit ASCII characters');
  if (/[:,"]/.test(password)) problems.push('must not contain : , or "');
  if (!/[0-9]/.test(password)) problems.push('needs a digit');
  if (!/[a-z]/.test(password)) problems.push('needs a lowercase letter');
  if (!/[A-Z]/.test(password)) problems.push('needs an uppercase letter');
  if (!/[\x21-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7e]/.test(password)) problems.push('needs a symbol other than _ and space');
  return problems;
}

const CLASSES = {
  upper: 'ABCDEFGHJKLMNPQRSTUVWXYZ',
  lower: 'abcdefghijkmnopqrstuvwxyz',
  digit: '23456789',
  // No : , " (refused by AMT), no < > & ' (XML-escaped in SOAP bodies; kept out so a password
  // never depends on every layer escaping it right), no _ or space (do not count as symbols).
  symbol: '!#$%()*+-./;=?@[]^{}~',
};

/**
 * A random password that satisfies AMT's rule (for the admin password of phase 1 and other
 * generated device secrets): at least one of each class, the rest from all classes,
 * shuffled with a CSPRNG.
 */
export function generateAmtPassword(length = 16): string {
  if (!Number.isInteger(length) || length < 8 || length > 32) throw new Error('AMT passwords are 8 to 32 characters');
  const all = Object.values(CLASSES).join('');
  const pick = (chars: string) => chars[randomInt(chars.length)];
  const chars = [...Object.values(CLASSES).map(pick), ...Array.from({ length: length - 4 }, () => pick(all))];
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

/**
 * AMT user names (digest accounts, ACL entries): 1-16 characters of ASCII 33-126 without
 * : , < > & " (AMT SDK). The reserved names apply to ACL entries only, not to the admin.
 */
export function amtUsernameProblem(username: string, opts: { aclEntry: boolean }): string | undefined {
  if (username.length < 1 || username.length > 16) return 'must be 1 to 16 characters';
  if (!/^[\x21-\x7e]+$/.test(username) || /[:,<>&"]/.test(username)) return 'must be printable ASCII without spaces or : , < > & "';
  if (opts.aclEntry) {
    if (/^(admin|administrator)$/i.test(username)) return 'is reserved for the AMT administrator';
    if (username.startsWith('$$')) return 'may not start with $$';
  }
  return undefined;
}
