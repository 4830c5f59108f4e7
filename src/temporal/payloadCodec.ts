// AES-256-GCM payload codec: every payload (workflow inputs, results, signals, queries,
// failure messages) is encrypted before it reaches Temporal. The key id travels in the
// payload metadata so keys can rotate without losing old histories.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { productMetrics, type CodecFailureKind, type CodecOperation } from '../metrics/productMetrics';
import type { KeyRing } from '../secrets/keyFile';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A codec failure, counted by kind (amtprov_codec_failures_total) where it is raised. */
function codecFailure(operation: CodecOperation, kind: CodecFailureKind, message: string, cause?: unknown): Error {
  productMetrics.codecFailure(operation, kind);
  return new Error(message, cause === undefined ? undefined : { cause });
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {}

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
        },
        data,
      };
    }));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve().then(() => payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID];
      const keyId = keyIdBytes ? Buffer.from(keyIdBytes).toString() : '';
      const key = this.ring.keys.get(keyId);
      if (!key) throw codecFailure('decode', 'unknown-key', `payload encrypted with unknown key id "${keyId}"; add it to the codec key ring`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw codecFailure('decode', 'too-short', 'encrypted payload too short');
      let plain: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch (err) {
        throw codecFailure('decode', 'authentication', `encrypted payload failed authentication with key "${keyId}" (tampered, or a different key under that id)`, err);
      }
      try {
        return temporal.api.common.v1.Payload.decode(plain);
      } catch (err) {
        throw codecFailure('decode', 'malformed', 'decrypted payload is not a Temporal Payload', err);
      }
    }));
  }
}
