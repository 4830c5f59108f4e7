// LDAP result codes by their RFC 4511 names (section 4.1.9 and appendix A), so metrics and
// operators see "insufficientAccessRights" rather than 50. A bounded set: codes outside the
// RFC's list are "unlisted", failures that were no LDAP result at all (a refused connection,
// a TLS error, bad input) are "none".
const RESULT_NAMES = {
  0: 'success', 1: 'operationsError', 2: 'protocolError', 3: 'timeLimitExceeded', 4: 'sizeLimitExceeded',
  5: 'compareFalse', 6: 'compareTrue', 7: 'authMethodNotSupported', 8: 'strongerAuthRequired', 10: 'referral',
  11: 'adminLimitExceeded', 12: 'unavailableCriticalExtension', 13: 'confidentialityRequired', 14: 'saslBindInProgress',
  16: 'noSuchAttribute', 17: 'undefinedAttributeType', 18: 'inappropriateMatching', 19: 'constraintViolation',
  20: 'attributeOrValueExists', 21: 'invalidAttributeSyntax', 32: 'noSuchObject', 33: 'aliasProblem',
  34: 'invalidDNSyntax', 36: 'aliasDereferencingProblem', 48: 'inappropriateAuthentication', 49: 'invalidCredentials',
  50: 'insufficientAccessRights', 51: 'busy', 52: 'unavailable', 53: 'unwillingToPerform', 54: 'loopDetect',
  64: 'namingViolation', 65: 'objectClassViolation', 66: 'notAllowedOnNonLeaf', 67: 'notAllowedOnRDN',
  68: 'entryAlreadyExists', 69: 'objectClassModsProhibited', 71: 'affectsMultipleDSAs', 80: 'other',
} as const;

export type LdapResultName = (typeof RESULT_NAMES)[keyof typeof RESULT_NAMES] | 'unlisted' | 'none';

export function ldapResultName(code: number | undefined): LdapResultName {
  if (code === undefined) return 'none';
  return (RESULT_NAMES as Record<number, LdapResultName | undefined>)[code] ?? 'unlisted';
}
