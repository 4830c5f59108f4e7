// The emulator's SOAP and WS-Management services (docs/amt-protocol.md sections 5 and 6), mounted
// on the device HTTP layer through the service router seam; startFleet mounts them unless told
// otherwise (FleetOptions.registerServices). README.md here lists what each service does and refuses.
import { WSMAN_PATH } from '../../contract/namespaces';
import type { RegisterServices } from '../http/serviceRouter';
import { registerEoiServices } from './soap/eoiEndpoint';
import { WSMAN_CLASSES } from './wsman/wsmanClasses';
import { WsmanEndpoint } from './wsman/wsmanEndpoint';

/** The phase 1 EOI SOAP services on `/<Service>Service` and the phase 2 WS-Man endpoint on `/wsman`. */
export const registerServices: RegisterServices = async (router) => {
  await registerEoiServices(router);
  router.route(WSMAN_PATH, new WsmanEndpoint(WSMAN_CLASSES).handler);
};
