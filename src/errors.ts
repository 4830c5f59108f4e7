// The one base class of every failure an activity raises on purpose. `type` is stable (it
// becomes the Temporal failure type the workflow, metrics and operators key on) and
// `retryable` says whether another attempt can help; failureMapping.ts maps on this class
// alone. Modules that raise such failures (amt, directory, site, activities) extend it;
// anything else reaching an activity's boundary is a bug or a library error and stays
// retryable under its class name.

export abstract class ProvisionerError extends Error {
  abstract readonly type: string;
  abstract readonly retryable: boolean;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // Class names show in stack traces and logs next to the type.
    this.name = new.target.name;
  }
}

/**
 * A failure no retry can fix, raised by the activities and the site store with the type that
 * names what is wrong: the device (UnknownDevice, UnsupportedFirmware, ...) or the site's
 * configuration (SiteNotConfigured, IssuingCaInvalid, ...), so misconfiguration fails fast.
 */
export class ProvisioningRefused extends ProvisionerError {
  readonly retryable = false;
  constructor(readonly type: string, message: string) {
    super(message);
    this.name = type;
  }
}
