// The emulator's SOAP and WS-Management services (AMT-PROTOCOL.md sections 5 and 6), mounted
// on the device HTTP layer through the service router seam. Pass `registerServices` (or
// `createServices({...})` for non-default options) as FleetOptions.registerServices;
// README.md here lists what each service does and refuses.
import { WSMAN_PATH } from '../../contract/namespaces';
import type { RegisterServices } from '../http/serviceRouter';
import { registerEoiServices } from './soap/eoiEndpoint';
import type { ServicesOptions } from './wsman/classModel';
import { WSMAN_CLASSES } from './wsman/wsmanClasses';
import { WsmanEndpoint } from './wsman/wsmanEndpoint';

export type { ServicesOptions } from './wsman/classModel';

export const DEFAULT_SERVICES_OPTIONS: ServicesOptions = { hasRadio: () => true };

/** The phase 1 EOI SOAP services on `/<Service>Service` and the phase 2 WS-Man endpoint on `/wsman`. */
export function createServices(options: Partial<ServicesOptions> = {}): RegisterServices {
  const resolved = { ...DEFAULT_SERVICES_OPTIONS, ...options };
  return async (router) => {
    await registerEoiServices(router);
    router.route(WSMAN_PATH, new WsmanEndpoint(WSMAN_CLASSES, resolved).handler);
  };
}

export const registerServices: RegisterServices = createServices();
