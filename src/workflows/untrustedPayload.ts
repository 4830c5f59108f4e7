// What a payload that did not come through the site's own roles decodes to. Every payload the
// listener, site server, CLI and worker write is encrypted with a site codec key; one that is
// not (e.g. `temporal workflow start --input ...` by anyone who reaches Temporal) is replaced
// by this marker when the worker decodes it, so the workflow can refuse it by name instead of
// acting on input nobody vouched for. Shared by the codec and the workflow; no imports.

export const UNTRUSTED_PAYLOAD_FIELD = '$untrustedPayload';

export interface UntrustedPayloadMarker {
  [UNTRUSTED_PAYLOAD_FIELD]: true;
  /** The payload's encoding as it arrived (e.g. json/plain), for the refusal message. */
  encoding: string;
}

export function isUntrustedPayload(value: unknown): value is UntrustedPayloadMarker {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[UNTRUSTED_PAYLOAD_FIELD] === true;
}
