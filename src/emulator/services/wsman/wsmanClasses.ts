// Every WS-Man class the emulated device serves (docs/amt-protocol.md section 6; phase 1 classes of
// docs/amt-protocol.md section 9 from AMT 6, by their `since`).
import type { WsmanClass } from './classModel';
import { authorizationService } from './classes/authorizationService';
import { ieee8021xSettings, publicKeyCertificate, publicKeyManagementService } from './classes/certificates';
import { redirectionService, systemPowerScheme, webUiService } from './classes/features';
import { kerberosSettingData } from './classes/kerberos';
import { generalSettings } from './classes/generalSettings';
import { setupAndConfigurationService, softwareIdentity } from './classes/setupAndConfiguration';
import { timeSynchronizationService } from './classes/timeSynchronization';
import { publicPrivateKeyPair, tlsCredentialContext, tlsSettingData } from './classes/tlsSetup';
import { ethernetPortSettings, wifiEndpointSettings, wifiPort, wifiPortConfigurationService } from './classes/wireless';

export const WSMAN_CLASSES: readonly WsmanClass[] = [
  authorizationService,
  generalSettings,
  webUiService,
  redirectionService,
  kerberosSettingData,
  systemPowerScheme,
  wifiPortConfigurationService,
  wifiEndpointSettings,
  publicKeyCertificate,
  publicKeyManagementService,
  wifiPort,
  ethernetPortSettings,
  ieee8021xSettings,
  setupAndConfigurationService,
  softwareIdentity,
  timeSynchronizationService,
  publicPrivateKeyPair,
  tlsCredentialContext,
  tlsSettingData,
];
