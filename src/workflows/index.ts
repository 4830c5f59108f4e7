// The workflow bundle's entry: every workflow the worker registers.
export { provisionDevice } from './provisionDevice';
export { renewCertificates, renewDeviceCertificateRun } from './certificateRenewal';
export { resetPasswords, resetDevicePasswordRun } from './passwordReset';
export { unprovisionDevice } from './unprovisionDevice';
export { discoverAmtStatus } from './discoverAmtStatus';
