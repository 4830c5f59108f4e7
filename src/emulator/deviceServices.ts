// The emulator's SOAP / WS-Man handlers (src/emulator/services), as startFleet mounts them by
// default. Kept for callers written when the services were optional (src/stack/demoFleet.ts);
// new code relies on startFleet's default instead.
import type { RegisterServices } from './http/serviceRouter';
import { registerServices } from './services';

export function loadDeviceServices(): RegisterServices | undefined {
  return registerServices;
}
