// The workflow bundle's entry: every workflow the worker registers.
export { provisionDevice } from './provisionDevice';
export { unprovisionDevice } from './unprovisionDevice';
export { discoverAmtStatus } from './discoverAmtStatus';
