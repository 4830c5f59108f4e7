// A codec endpoint for the Temporal Web UI (`--ui-codec-endpoint`): the browser posts the
// encrypted payloads of a history here and gets them decoded, so operators read inputs,
// results, status queries and failure messages in the UI. Loopback only: payloads hold
// references and facts, never secrets, but they are still the site's data.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import { productMetrics } from '../metrics/productMetrics';
import type { KeyRing } from '../secrets/keyFile';
import { AesGcmPayloadCodec } from './payloadCodec';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const MAX_BODY = 4 * 1024 * 1024;

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

export async function startCodecServer(options: { host: string; port: number; keys: KeyRing; allowedOrigin: string }): Promise<CodecServer> {
  const codec = new AesGcmPayloadCodec(options.keys);
  const server = http.createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', options.allowedOrigin);
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const route = req.url === '/decode' ? 'decode' : req.url === '/encode' ? 'encode' : undefined;
    if (req.method !== 'POST' || !route) {
      productMetrics.codecEndpointRejected('not-found');
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('POST /decode or /encode\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        productMetrics.codecEndpointRejected('too-large');
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      let payloads: Payload[];
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads?: JsonPayload[] };
        payloads = (body.payloads ?? []).map(fromJson);
      } catch {
        productMetrics.codecEndpointRejected('bad-body');
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end('body must be JSON {"payloads": [...]}\n');
        return;
      }
      (route === 'decode' ? codec.decode(payloads) : codec.encode(payloads)).then(
        (result) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: result.map(toJson) })),
        (err: unknown) => res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`${err instanceof Error ? err.message : 'cannot decode'}\n`),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(
      err.code === 'EADDRINUSE' ? new Error(`codec server: ${options.host}:${options.port} is already in use`, { cause: err }) : err));
    server.listen({ host: options.host, port: options.port }, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return { url: `http://${address}:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
