// How every process reaches Temporal: address, namespace and credentials from the
// environment (production: a cluster with mTLS or an API key), defaulting to the embedded
// dev stack; and the data converter that encrypts every payload.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadKeyRing, loadTokens, type KeyRing } from '../secrets/keyFile';
import { loadDevStackConfig } from '../stack/devStackConfig';
import { dataDir } from '../stack/paths';
import { AesGcmPayloadCodec, type UnknownKeyReport } from './payloadCodec';

export interface TemporalSettings {
  address: string;
  namespace: string;
  connection: ConnectionOptions;
}

export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  let address = env.TEMPORAL_ADDRESS;
  let namespace = env.TEMPORAL_NAMESPACE;
  if (!address || !namespace) {
    const dev = loadDevStackConfig();
    address ??= `${dev.server.ip}:${dev.server.port}`;
    namespace ??= dev.server.namespace;
  }
  const connection: ConnectionOptions = { address };
  if (env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_KEY) {
    if (!env.TEMPORAL_TLS_CERT || !env.TEMPORAL_TLS_KEY) throw new Error('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
    connection.tls = {
      clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) },
      ...(env.TEMPORAL_TLS_CA ? { serverRootCACertificate: readFileSync(env.TEMPORAL_TLS_CA) } : {}),
    };
  } else if (env.TEMPORAL_API_KEY) {
    connection.tls = true;
    connection.apiKey = env.TEMPORAL_API_KEY;
  }
  return { address, namespace, connection };
}

/** AMTPROV_CODEC_KEY / AMTPROV_CODEC_KEY_FILE, else data/keys/codec.key (created 0600). */
export function loadCodecKeyRing(env: NodeJS.ProcessEnv = process.env): KeyRing {
  return loadKeyRing('AMTPROV_CODEC_KEY', path.join(dataDir(), 'keys', 'codec.key'), env);
}

/** The codec endpoint's bearer tokens: AMTPROV_CODEC_TOKEN / AMTPROV_CODEC_TOKEN_FILE, else data/keys/codec-token (created 0600). */
export function loadCodecTokens(env: NodeJS.ProcessEnv = process.env): string[] {
  return loadTokens('AMTPROV_CODEC_TOKEN', codecTokenFile(env), env);
}

export function codecTokenFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.AMTPROV_CODEC_TOKEN_FILE ?? path.join(dataDir(), 'keys', 'codec-token');
}

/**
 * Codec plus the failure converter that moves failure messages into (encrypted) payloads.
 * The converter is given by path because workers load it inside the workflow sandbox.
 */
export function dataConverter(ring: KeyRing, onUnknownKey?: UnknownKeyReport): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(ring, 'mark-untrusted', onUnknownKey)], failureConverterPath: require.resolve('./failureConverter') };
}

export async function connectClient(settings = temporalSettingsFromEnv(), ring = loadCodecKeyRing()): Promise<Client> {
  const connection = await Connection.connect(settings.connection);
  return new Client({ connection, namespace: settings.namespace, dataConverter: dataConverter(ring) });
}
