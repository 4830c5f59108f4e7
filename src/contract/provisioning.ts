// Provisioning states, modes and feature values (docs/amt-protocol.md sections 5, 6 and 8).

/** AMT_SetupAndConfigurationService.ProvisioningState / EOI GetProvisioningState. */
export const PROVISIONING_STATE = {
  PRE_PROVISIONING: 0,
  IN_PROVISIONING: 1,
  POST_PROVISIONING: 2,
} as const;
export type ProvisioningState = (typeof PROVISIONING_STATE)[keyof typeof PROVISIONING_STATE];

/**
 * EOI GetProvisioningMode / ProvisioningMode input values (wsman-messages
 * AMT.Types.SetupAndConfigurationService.ProvisioningMode_Input value map).
 */
export const PROVISIONING_MODE = {
  CURRENT: 0,
  ENTERPRISE: 1,
  SMALL_BUSINESS: 2,
  REMOTE_CONNECTIVITY: 3,
} as const;

/** AMT_RedirectionService.RequestStateChange (section 6, seed step 8.2). */
export const REDIRECTION_STATE = {
  NONE: 32768,
  IDER_ONLY: 32769,
  SOL_ONLY: 32770,
  IDER_AND_SOL: 32771,
} as const;

/** AMT_WebUIService.RequestStateChange: 2 enable, 3 disable (DMTF EnabledState; MeshCentral agent uses 2/3). */
export const ENABLED_STATE = { ENABLED: 2, DISABLED: 3 } as const;

/** ConfigMgr SP1 power scheme: "on in all states but power loss" (section 6, seed step 8.3). */
export const SP1_POWER_SCHEME = 5;
/**
 * AMT_SystemPowerScheme InstanceIDs have the form "SCHEME <n>" (go-wsman-messages test data:
 * "SCHEME 0"); scheme 5's instance is the one SetPowerScheme selects for SP1. Project's choice
 * that the number in the InstanceID is the ConfigMgr scheme number.
 */
export const POWER_SCHEME_INSTANCE_ID_PREFIX = 'SCHEME ';
export const SP1_POWER_SCHEME_INSTANCE_ID = `${POWER_SCHEME_INSTANCE_ID_PREFIX}${SP1_POWER_SCHEME}`;

/** The account name of the AMT built-in administrator set by SetAdminAclEntry. */
export const AMT_ADMIN_USERNAME = 'admin';

/** Digest realm format: `Digest:` followed by 32 uppercase hex digits (section 4). */
export const DIGEST_REALM_PATTERN = /^Digest:[0-9A-F]{32}$/;

/** CertStore GenerateKeyPair KeyAlgorithm (AMT_PublicKeyManagementService.GenerateKeyPair: 0 = RSA). */
export const KEY_ALGORITHM_RSA = 0;
/** Key length the server asks the device to generate for its TLS key. */
export const DEVICE_TLS_KEY_BITS = 2048;
