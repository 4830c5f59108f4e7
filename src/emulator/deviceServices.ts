// Where the emulator finds its SOAP / WS-Man handlers: `registerServices` exported by
// src/emulator/services (built by the services engineer, see http/serviceRouter.ts for the
// seam). Loaded by name so the transport runs, and is testable, before the handlers exist;
// once they have landed this becomes a plain import.
import type { RegisterServices } from './http/serviceRouter';

export function loadDeviceServices(): RegisterServices | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional module, see above
    const services = require('./services') as { registerServices?: RegisterServices };
    return services.registerServices;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && (err as Error).message.includes("'./services'");
    if (missing) return undefined;
    throw err;
  }
}
