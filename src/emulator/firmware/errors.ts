// Errors the firmware model raises for the services to turn into status codes.

/** A refusal with the PT_STATUS code the operation answers (src/contract/ptStatus.ts). */
export class FirmwareError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'FirmwareError';
  }
}

/**
 * The device lost power in the middle of an operation (fault "lose power during commit").
 * The device is already off when this is thrown: whatever answer the caller writes goes to a
 * destroyed socket. Handlers should let it propagate.
 */
export class PowerLossError extends Error {
  constructor(message = 'device lost power') {
    super(message);
    this.name = 'PowerLossError';
  }
}
