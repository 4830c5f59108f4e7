// Black-box: what the device's TLS port does at CommitChanges. The port never stops listening
// (no ECONNREFUSED while the identity switches), the very next handshake presents the issued
// certificate, and the sessions set up under the provisioning handshake are dropped: the one
// carrying CommitChanges right after its answer (which says `Connection: close`), idle ones at once.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import { EOI_NAMESPACES, EOI_PATHS } from '../../../src/contract/namespaces';
import { registerServices } from '../../../src/emulator/services';
import { assertStatus, digestPassword, eoiClient, issueFromRequest, type DeviceEndpoint } from './services-client';
import { authorization, parseChallenge, rawRequest } from './support/deviceClient';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { makeIntermediate, makeRoot, validProvisioningChain } from './support/testPki';

const SUFFIX = 'switch.example.com';
const IP = '127.0.27.1';
const SECURITY_NS = EOI_NAMESPACES.SecurityAdministration;

let harness: Harness;
let provisioning: ReturnType<typeof validProvisioningChain>;
let issuedSha256: string;

interface KeptResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: tls.TLSSocket;
}

/** One request on a keep-alive agent (so a Digest exchange and later requests share a connection). */
function keptRequest(agent: https.Agent, operation: string, authorizationHeader?: string): Promise<KeptResponse> {
  const body = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><${operation} xmlns="${SECURITY_NS}"/></s:Body></s:Envelope>`;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: IP, port: 16993, method: 'POST', path: EOI_PATHS.SecurityAdministration, agent,
        headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${SECURITY_NS}#${operation}"`, 'Content-Length': Buffer.byteLength(body), ...(authorizationHeader ? { Authorization: authorizationHeader } : {}) },
      },
      (res) => {
        // The agent takes the socket back once the response ends.
        const socket = res.socket as tls.TLSSocket;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), socket }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** 401, then the same operation with Digest credentials, both on the agent's one connection. */
async function keptDigest(agent: https.Agent, operation: string, password: string): Promise<KeptResponse> {
  const challenge = parseChallenge((await keptRequest(agent, operation)).headers['www-authenticate']);
  return keptRequest(agent, operation, authorization({ username: 'admin', password, challenge, method: 'POST', uri: EOI_PATHS.SecurityAdministration, nc: 1 }));
}

const closed = (socket: net.Socket): Promise<void> => (socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve())));

/** Opens TCP connections to 16993 back to back until stopped; counts what happened. */
function probeListener(): { stop: () => Promise<{ connected: number; refused: number }> } {
  let running = true;
  const counts = { connected: 0, refused: 0 };
  const loop = (async () => {
    while (running) {
      await new Promise<void>((resolve) => {
        const socket = net.connect({ host: IP, port: 16993 });
        socket.once('connect', () => {
          counts.connected += 1;
          socket.destroy();
          resolve();
        });
        socket.once('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED') counts.refused += 1;
          resolve();
        });
      });
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return counts;
    },
  };
}

before(async () => {
  provisioning = validProvisioningChain(SUFFIX);
  // The switch is driven over EOI SOAP: early firmware.
  harness = await startHarness({
    count: 1, baseIp: IP, controlHost: '127.0.27.250', domainSuffix: SUFFIX, trustedRootHashes: provisioning.trustedRootHashes, registerServices,
    firmwareVersion: DEFAULT_FIRMWARE_VERSION.early,
  });
  const endpoint: DeviceEndpoint = { host: IP, port: 16993, tls: { keyPem: provisioning.keyPem, chainPems: provisioning.chainPems }, username: 'admin', password: MEBX_PASSWORD };
  const security = await eoiClient('SecurityAdministration', () => endpoint);
  const network = await eoiClient('NetworkAdministration', () => endpoint);
  const certs = await eoiClient('CertStore', () => endpoint);
  // Phase 1 up to, not including, CommitChanges.
  const realm = (await harness.control.get<{ firmware: { digestRealm: string } }>('/devices/0')).firmware.digestRealm;
  assertStatus(await network('SetHostName', { HostName: 'pc-7' }), 'SUCCESS');
  assertStatus(await network('SetDomainName', { DomainName: SUFFIX }), 'SUCCESS');
  const keyPair = (await certs('GenerateKeyPair', { KeyAlgorithm: 0, KeyLength: 2048 })).KeyPairHandle as number;
  const request = await certs('GetPKCS10Request', { KeyPairHandle: keyPair, SubjectDN: `CN=pc-7.${SUFFIX}` });
  const siteCa = makeIntermediate('Switch Site CA', makeRoot('Switch Site Root'));
  const issued = issueFromRequest(request.CertificateRequest as string, siteCa);
  issuedSha256 = crypto.createHash('sha256').update(Buffer.from(issued.der, 'base64')).digest('hex');
  const certificate = (await certs('AddCertificate', { CertificateBlob: issued.der })).CertificateHandle as number;
  assertStatus(await security('SetTLSKeyAndCertificate', { KeyPairHandle: keyPair, CertificateHandle: certificate }), 'SUCCESS');
  assertStatus(await security('SetTlsEnabled', { Enabled: true }), 'SUCCESS');
  assertStatus(await security('SetAdminAclEntry', { Username: 'admin', DigestPassword: digestPassword('admin', realm, 'N3w!Admin#Pass') }), 'SUCCESS');
});

after(async () => {
  await harness?.close();
});

void describe('CommitChanges switches the TLS identity in place', () => {
  void it('keeps listening, answers CommitChanges then closes its connection, drops idle setup sessions, and the next handshake presents the issued certificate', { timeout: 30_000 }, async () => {
    const agentOptions = { keepAlive: true, maxSockets: 1, key: provisioning.keyPem, cert: provisioning.chainPems.join('\n'), rejectUnauthorized: false };
    const idleAgent = new https.Agent(agentOptions);
    const commitAgent = new https.Agent(agentOptions);
    try {
      const idle = await keptDigest(idleAgent, 'GetProvisioningState', MEBX_PASSWORD);
      assert.equal(idle.status, 200);
      assert.notEqual(idle.headers.connection, 'close');
      const idleClosed = closed(idle.socket);

      const probe = probeListener();
      const commit = await keptDigest(commitAgent, 'CommitChanges', MEBX_PASSWORD);
      const served = await rawRequest({ host: IP, port: 16993, tls: {}, path: '/', body: '' });
      const { connected, refused } = await probe.stop();

      assert.equal(commit.status, 200, commit.body);
      assert.match(commit.body, /<StatusCode>0<\/StatusCode>/);
      assert.equal(commit.headers.connection, 'close', 'the commit answer tells the client not to reuse the setup session');
      await closed(commit.socket);
      await idleClosed;
      assert.equal(served.serverCertSha256, issuedSha256, 'the first handshake after the answer already presents the issued certificate');
      assert.equal(refused, 0, 'no connection was refused while the identity switched');
      assert.ok(connected > 0);
    } finally {
      idleAgent.destroy();
      commitAgent.destroy();
    }
  });

  void it('post-commit handshakes ask for no client certificate; Digest with the new admin password works', async () => {
    const first = await rawRequest({ host: IP, port: 16993, tls: {}, path: EOI_PATHS.SecurityAdministration, body: '' });
    assert.equal(first.status, 401);
    const { tlsRefusals } = await harness.control.get<{ tlsRefusals: { reason: string }[] }>('/devices/0/counters');
    assert.equal(tlsRefusals.some((r) => r.reason === 'no-client-certificate'), false);
    const idleAgent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    try {
      const answer = await keptDigest(idleAgent, 'GetProvisioningState', 'N3w!Admin#Pass');
      assert.match(answer.body, /<ProvisioningState>2<\/ProvisioningState>/);
      assert.notEqual(answer.headers.connection, 'close', 'operational sessions stay open');
    } finally {
      idleAgent.destroy();
    }
  });
});
