// A refusal with the PT_STATUS the operation answers, thrown from inside an operation's work
// and turned into a StatusCode (phase 1) or ReturnValue / fault (phase 2) by its runner.
import { FirmwareError } from '../firmware/errors';

export function refuse(status: number, reason: string, options?: ErrorOptions): never {
  throw new FirmwareError(status, reason, options);
}
