// How every process reaches Temporal: address, namespace and credentials from the config
// module (production: a cluster with mTLS or an API key; default: the embedded dev stack's
// address in temporal-dev.yaml), and the data converter that encrypts every payload.
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { codecKeyVariables, temporalConfig, type TemporalConfig } from '../config/environment';
import { readKeyRing, type KeyRing } from '../secrets/keyFile';
import { AesGcmPayloadCodec } from './payloadCodec';

export interface TemporalSettings {
  address: string;
  namespace: string;
  connection: ConnectionOptions;
}

/** Connection options for `config` (default: TEMPORAL_* of this process); reads the TLS files it names. */
export function temporalSettings(config: TemporalConfig = temporalConfig()): TemporalSettings {
  const { address, namespace } = config;
  const connection: ConnectionOptions = { address };
  const readPem = (file: string, variable: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`${variable}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  const serverRoot = config.caFile ? { serverRootCACertificate: readPem(config.caFile, 'TEMPORAL_TLS_CA') } : {};
  if (config.clientCert) {
    connection.tls = {
      clientCertPair: { crt: readPem(config.clientCert.certFile, 'TEMPORAL_TLS_CERT'), key: readPem(config.clientCert.keyFile, 'TEMPORAL_TLS_KEY') },
      ...serverRoot,
    };
  } else if (config.apiKey) {
    connection.tls = config.caFile ? serverRoot : true;
    connection.apiKey = config.apiKey;
  } else if (config.caFile) {
    connection.tls = serverRoot;
  }
  return { address, namespace, connection };
}

/** AMTPROV_CODEC_KEY / AMTPROV_CODEC_KEY_FILE, else <data dir>/keys/codec.key (created 0600). */
export function loadCodecKeyRing(env: NodeJS.ProcessEnv = process.env): KeyRing {
  return readKeyRing(codecKeyVariables(env));
}

/**
 * Codec plus the failure converter that moves failure messages into (encrypted) payloads.
 * The converter is given by path because workers load it inside the workflow sandbox.
 */
export function dataConverter(ring: KeyRing): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(ring)], failureConverterPath: require.resolve('./failureConverter') };
}

export async function connectClient(settings = temporalSettings(), ring = loadCodecKeyRing()): Promise<Client> {
  const connection = await Connection.connect(settings.connection);
  return new Client({ connection, namespace: settings.namespace, dataConverter: dataConverter(ring) });
}
