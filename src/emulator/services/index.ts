// The emulator's SOAP and WS-Management services (AMT-PROTOCOL.md sections 5 and 6), mounted
// on the device HTTP layer through the service router seam. Pass `registerServices` as
// FleetOptions.registerServices; README.md here lists what each service does and refuses.
import type { RegisterServices } from '../http/serviceRouter';
import { registerEoiServices } from './soap/eoiEndpoint';

export const registerServices: RegisterServices = async (router) => {
  await registerEoiServices(router);
};
