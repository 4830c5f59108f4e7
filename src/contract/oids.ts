// Certificate identifiers for the provisioning certificate rules (docs/amt-protocol.md section 3).

/** Extended key usage OID marking an AMT provisioning certificate (Intel guide "Acquiring an Intel vPro certificate"). */
export const AMT_PROVISIONING_EKU_OID = '2.16.840.1.113741.1.2.3';
/** TLS Web Server Authentication EKU (RFC 5280), required next to the AMT OID. */
export const SERVER_AUTH_EKU_OID = '1.3.6.1.5.5.7.3.1';
/** Subject OU that marks a provisioning certificate instead of the OID; matched exactly, case-sensitive. */
export const AMT_PROVISIONING_OU = 'Intel(R) Client Setup Certificate';
/** Largest CA RSA key AMT accepts before AMT 16 (ConfigMgr docs: AMT rejects larger CA keys); per release: firmwareCrypto.ts. */
export const MAX_CA_RSA_KEY_BITS = 2048;
