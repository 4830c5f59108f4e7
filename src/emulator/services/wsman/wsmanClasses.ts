// Every WS-Man class the emulated device serves (AMT-PROTOCOL.md section 6).
import type { WsmanClass } from './classModel';
import { authorizationService } from './classes/authorizationService';
import { ieee8021xSettings, publicKeyCertificate, publicKeyManagementService } from './classes/certificates';
import { redirectionService, systemPowerScheme, webUiService } from './classes/features';
import { kerberosSettingData } from './classes/kerberos';
import { generalSettings } from './classes/generalSettings';
import { setupAndConfigurationService, softwareIdentity } from './classes/setupAndConfiguration';
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
];
