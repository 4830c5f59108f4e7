// The site server API's wire shapes, read by both sides: the server validates request
// bodies with these schemas, the client agent builds its requests and checks the answers
// with them. Version 1 of the API lives under /v1.
import { z } from 'zod';
import { checkFqdn, checkNetbiosName, checkSmbiosUuid, type Checked } from '../identifiers';

export const API_PATHS = {
  provisioningRoots: '/v1/provisioning-roots',
  inBandRequests: '/v1/in-band-requests',
} as const;

/** Request bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 16 * 1024;

function checked<T>(check: (text: string) => Checked<T>) {
  return (text: string, ctx: z.RefinementCtx): T => {
    const result = check(text);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.reason });
      return z.NEVER;
    }
    return result.value;
  };
}

/** A root certificate hash as the firmware lists it: SHA-1, SHA-256 or SHA-384, hex. */
const rootHash = z.string().regex(/^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96})$/, 'must be a SHA-1, SHA-256 or SHA-384 hash in hex')
  .transform((hex) => hex.toLowerCase());

export const inBandRequestSchema = z.object({
  uuid: z.string().max(40).transform(checked(checkSmbiosUuid)),
  // The message names the rule, never the value: this field is the one secret in the body.
  otpHash: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the one-time password as 64 hex digits')
    .transform((hex) => hex.toLowerCase()),
  /** The host OS's name; it becomes the NetBIOS name and the FQDN's host label. */
  hostName: z.string().max(63).transform(checked(checkNetbiosName)),
  domain: z.string().max(253).transform(checked(checkFqdn)),
  /** The firmware's active trusted root hashes, read by the agent through HECI. */
  trustedRootHashes: z.array(rootHash).min(1, 'must list at least one hash').max(64),
}).strict();

export type InBandRequest = z.input<typeof inBandRequestSchema>;
export type ValidInBandRequest = z.output<typeof inBandRequestSchema>;

export const provisioningRootSchema = z.object({
  subjectCn: z.string(),
  dnsSuffix: z.string(),
  sha1: z.string().regex(/^[0-9a-f]{40}$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sha384: z.string().regex(/^[0-9a-f]{96}$/),
});
export const provisioningRootsResponseSchema = z.object({ roots: z.array(provisioningRootSchema) });
export type ProvisioningRoot = z.output<typeof provisioningRootSchema>;

export const inBandAcceptedSchema = z.object({
  workflowId: z.string(),
  computer: z.object({ uuid: z.string(), netbiosName: z.string(), fqdn: z.string(), discovered: z.boolean() }),
});
export type InBandAccepted = z.output<typeof inBandAcceptedSchema>;

export const apiErrorSchema = z.object({ error: z.string() });
