// AES-256-GCM payload codec: every payload (workflow inputs, results, signals, queries,
// failure messages) is encrypted before it reaches Temporal. The key id and a fingerprint of
// the key (a hash prefix, never the key) travel in the payload metadata, so keys can rotate
// without losing old histories and a process missing a key can say which one it needs.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { productMetrics, type CodecFailureKind, type CodecOperation } from '../metrics/productMetrics';
import type { KeyRing } from '../secrets/keyFile';
import { UNTRUSTED_PAYLOAD_FIELD, type UntrustedPayloadMarker } from '../workflows/untrustedPayload';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const KEY_FINGERPRINT = 'encryption-key-fingerprint';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** First 16 hex digits of SHA-256 of the key: names a key in errors and metadata without revealing it. */
export function codecKeyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * What decode does with a payload that is not encrypted: the worker and clients replace it by
 * the untrusted marker (src/workflows/untrustedPayload.ts) so the workflow refuses it by name;
 * the UI's codec endpoint passes it through so an operator sees what was sent.
 */
export type PlaintextPolicy = 'mark-untrusted' | 'pass';

/** A codec failure, counted by kind (amtprov_codec_failures_total) where it is raised. */
function codecFailure(operation: CodecOperation, kind: CodecFailureKind, message: string, cause?: unknown): Error {
  productMetrics.codecFailure(operation, kind);
  return new Error(message, cause === undefined ? undefined : { cause });
}

/** Told of each payload under a key the ring lacks (the worker logs it at a bounded rate). */
export type UnknownKeyReport = (keyId: string, fingerprint: string, ring: string) => void;

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(
    private readonly ring: KeyRing,
    private readonly plaintext: PlaintextPolicy = 'mark-untrusted',
    private readonly onUnknownKey?: UnknownKeyReport,
  ) {}

  // Work happens in a then() so a failure is a rejected promise, never a synchronous throw.
  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve().then(() => payloads.map((payload) => {
      const key = this.ring.keys.get(this.ring.activeId)!;
      const iv = randomBytes(IV_BYTES);
      let data: Buffer;
      try {
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        const plain = temporal.api.common.v1.Payload.encode(payload).finish();
        data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      } catch (err) {
        throw codecFailure('encode', 'encrypt-error', `payload encryption failed: ${err instanceof Error ? err.message : String(err)}`, err);
      }
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCODING),
          [KEY_ID]: Buffer.from(this.ring.activeId),
          [KEY_FINGERPRINT]: Buffer.from(codecKeyFingerprint(key)),
        },
        data,
      };
    }));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve().then(() => payloads.map((payload) => {
      const encoding = metadataText(payload, METADATA_ENCODING_KEY);
      if (encoding !== ENCODING) return this.plaintext === 'pass' ? payload : untrustedMarker(encoding ?? 'none');
      const keyId = metadataText(payload, KEY_ID) ?? '';
      const fingerprint = metadataText(payload, KEY_FINGERPRINT) ?? 'not recorded';
      const key = this.ring.keys.get(keyId);
      if (!key) {
        productMetrics.codecUndecryptable(keyId);
        this.onUnknownKey?.(keyId, fingerprint, this.describeRing());
        throw codecFailure('decode', 'unknown-key', `payload encrypted with codec key "${keyId}" (fingerprint ${fingerprint}), which this ` +
          `process's key ring (${this.describeRing()}) lacks: run it with the data dir or AMTPROV_CODEC_KEY that holds that key`);
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw codecFailure('decode', 'too-short', 'encrypted payload too short');
      let plain: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch (err) {
        throw codecFailure('decode', 'authentication', `payload under codec key "${keyId}" (fingerprint ${fingerprint}) does not authenticate ` +
          `with this ring's key "${keyId}" (fingerprint ${codecKeyFingerprint(key)}): another key under the same id, or a damaged payload`, err);
      }
      try {
        return temporal.api.common.v1.Payload.decode(plain);
      } catch (err) {
        throw codecFailure('decode', 'malformed', 'decrypted payload is not a Temporal Payload', err);
      }
    }));
  }

  private describeRing(): string {
    return [...this.ring.keys].map(([id, key]) => `"${id}" ${codecKeyFingerprint(key)}`).join(', ');
  }
}

/** The codec key a payload names in its (clear) metadata; undefined when it is not encrypted. */
export function payloadKeyOf(payload: Payload): { keyId: string; fingerprint: string } | undefined {
  if (metadataText(payload, METADATA_ENCODING_KEY) !== ENCODING) return undefined;
  return { keyId: metadataText(payload, KEY_ID) ?? '', fingerprint: metadataText(payload, KEY_FINGERPRINT) ?? 'not recorded' };
}

function metadataText(payload: Payload, key: string): string | undefined {
  const bytes = payload.metadata?.[key];
  return bytes ? Buffer.from(bytes).toString() : undefined;
}

function untrustedMarker(encoding: string): Payload {
  const marker: UntrustedPayloadMarker = { [UNTRUSTED_PAYLOAD_FIELD]: true, encoding };
  return { metadata: { [METADATA_ENCODING_KEY]: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(marker)) };
}
