// Black-box: what each firmware family serves for phase 1 (docs/amt-protocol.md section 9):
// modern (AMT 9+) has no EOI services, early (< 6) has no WS-Man phase 1, transitional (6-8)
// has both. Over real mutual TLS with real Digest; WS-Man requests written by hand.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_FIRMWARE_VERSION } from '../../../src/contract/firmwareFamilies';
import { EOI_OPERATIONS } from '../../../src/contract/eoiOperations';
import { EOI_NAMESPACES, EOI_PATHS, EOI_SERVICES, type EoiService } from '../../../src/contract/namespaces';
import { trustedHashesOfRoot } from '../../../src/emulator/fleet';
import { registerServices } from '../../../src/emulator/services';
import { assertStatus, eoiClient, faultOf, methodOutput, okBody, wsmanPoster, type DeviceEndpoint } from './services-client';
import { digestRequest, rawRequest } from './support/deviceClient';
import { MEBX_PASSWORD, startHarness, type Harness } from './support/emulatorHarness';
import { makeIntermediate, makeProvisioningLeaf, makeRoot, validProvisioningChain, type TestCert } from './support/testPki';
import { CIM_URI, instancesOf, request } from './support/wsmanPhase1';

const SUFFIX = 'families.example.com';
const TRANSITIONAL_VERSION = '7.1.20';
const FAMILIES = {
  modern: { ip: '127.0.35.1', version: DEFAULT_FIRMWARE_VERSION.modern },
  transitional: { ip: '127.0.36.1', version: TRANSITIONAL_VERSION },
  early: { ip: '127.0.37.1', version: DEFAULT_FIRMWARE_VERSION.early },
} as const;
type Family = keyof typeof FAMILIES;

/** One harmless operation per EOI service (reads, or a refusal that changes nothing). */
const EOI_PROBES: Record<EoiService, { operation: string; body: string }> = {
  SecurityAdministration: { operation: 'GetCoreVersion', body: '' },
  NetworkTime: { operation: 'GetLowAccuracyTimeSynch', body: '' },
  NetworkAdministration: { operation: 'GetHostName', body: '' },
  CertStore: { operation: 'GetPKCS10Request', body: '<KeyPairHandle>999</KeyPairHandle><SubjectDN>CN=x</SubjectDN>' },
};

let provisioning: ReturnType<typeof validProvisioningChain>;
/** A chain whose CAs have 3072-bit keys (root trusted by SHA-256), and one whose root only a SHA-384 hash trusts. */
let chain3072: { keyPem: string; chainPems: string[] };
let chainSha384: { keyPem: string; chainPems: string[] };
const harnesses: Partial<Record<Family, Harness>> = {};

const endpoint = (family: Family): DeviceEndpoint => ({
  host: FAMILIES[family].ip,
  port: 16993,
  tls: { keyPem: provisioning.keyPem, chainPems: provisioning.chainPems },
  username: 'admin',
  password: MEBX_PASSWORD,
});

async function eoiPost(family: Family, service: EoiService, path = EOI_PATHS[service], { operation, body } = EOI_PROBES[service]) {
  const envelope = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><${operation} xmlns="${EOI_NAMESPACES[service]}">${body}</${operation}></s:Body></s:Envelope>`;
  const d = endpoint(family);
  const { response } = await digestRequest(
    { host: d.host, port: d.port, tls: d.tls, path, body: envelope, headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${EOI_NAMESPACES[service]}#${operation}"` } },
    d.username,
    d.password,
  );
  return response;
}

function chainOf(root: TestCert, caBits: number, name: string): { keyPem: string; chainPems: string[] } {
  const ca = makeIntermediate(`${name} Issuing CA`, root, `int:${name}`, caBits);
  const leaf = makeProvisioningLeaf({ cn: `provisionserver.${SUFFIX}`, issuer: ca });
  return { keyPem: leaf.keyPem, chainPems: [leaf.pem, ca.pem, root.pem] };
}

before(async () => {
  provisioning = validProvisioningChain(SUFFIX);
  const root3072 = makeRoot('Families 3072 Root', 'families-3072', 3072);
  const rootSha384 = makeRoot('Families SHA-384 Root');
  chain3072 = chainOf(root3072, 3072, 'Families 3072');
  chainSha384 = chainOf(rootSha384, 2048, 'Families SHA-384');
  const trustedRootHashes = [
    ...provisioning.trustedRootHashes,
    ...trustedHashesOfRoot(root3072.pem).filter((h) => h.algorithm === 'sha256'),
    ...trustedHashesOfRoot(rootSha384.pem).filter((h) => h.algorithm === 'sha384'),
  ];
  for (const [family, { ip, version }] of Object.entries(FAMILIES) as [Family, (typeof FAMILIES)[Family]][]) {
    harnesses[family] = await startHarness({
      count: 1,
      baseIp: ip,
      controlHost: ip.replace(/\.1$/, '.250'),
      domainSuffix: SUFFIX,
      trustedRootHashes,
      registerServices,
      firmwareVersion: version,
    });
  }
});

after(async () => {
  for (const harness of Object.values(harnesses)) await harness?.close();
});

void describe('modern firmware (AMT 9 and later) has no EOI services', () => {
  void it('answers every operation of every EOI service like a path nobody serves: 404 after Digest, and runs nothing', async () => {
    const unknown = await eoiPost('modern', 'SecurityAdministration', '/NoSuchService');
    assert.equal(unknown.status, 404);
    for (const service of EOI_SERVICES) {
      for (const operation of EOI_OPERATIONS[service]) {
        const response = await eoiPost('modern', service, EOI_PATHS[service], { operation, body: '' });
        assert.equal(response.status, 404, `${service}.${operation}: ${response.body.slice(0, 200)}`);
        assert.equal(response.headers['content-type'], unknown.headers['content-type']);
        assert.equal(response.body, unknown.body.replace('/NoSuchService', EOI_PATHS[service]), `${service}.${operation} answers as an unknown path`);
      }
    }
    const state = (await harnesses.modern?.control.get<{ firmware: { stagedSettings: string[]; provisioningState: string; keyStore: { keyPairs: unknown[] } } }>('/devices/0'))?.firmware;
    assert.deepEqual([state?.keyStore.keyPairs.length, state?.stagedSettings, state?.provisioningState], [0, [], 'pre']);
  });

  void it('still asks for Digest first (an EOI path is not answered to anonymous callers)', async () => {
    const d = endpoint('modern');
    const anonymous = await rawRequest({ host: d.host, port: d.port, tls: d.tls, path: EOI_PATHS.SecurityAdministration, body: '' });
    assert.equal(anonymous.status, 401);
  });
});

void describe('early firmware (before AMT 6) serves phase 1 over EOI only', () => {
  void it('serves the four EOI services', async () => {
    const at = () => endpoint('early');
    const version = await (await eoiClient('SecurityAdministration', at))('GetCoreVersion');
    assertStatus(version, 'SUCCESS');
    assert.equal(version.Version, DEFAULT_FIRMWARE_VERSION.early);
    assertStatus(await (await eoiClient('NetworkTime', at))('GetLowAccuracyTimeSynch'), 'SUCCESS');
    assertStatus(await (await eoiClient('NetworkAdministration', at))('GetHostName'), 'SUCCESS');
    assertStatus(await (await eoiClient('CertStore', at))('GetPKCS10Request', { KeyPairHandle: 999, SubjectDN: 'CN=x' }), 'INVALID_HANDLE');
  });

  void it('answers the WS-Man phase 1 methods as a release without them (wsa:ActionNotSupported), changing nothing', async () => {
    const post = wsmanPoster(() => endpoint('early'));
    const methods: [string, string][] = [
      [request.setMebxPassword('Mebx#Early2026'), 'SetMEBxPassword'],
      [request.commitChanges(), 'CommitChanges'],
      [request.unprovision(), 'Unprovision'],
      [request.partialUnprovision(), 'PartialUnprovision'],
      [request.setAdminAclEntryEx('admin', Buffer.alloc(16).toString('base64')), 'SetAdminAclEntryEx'],
      [request.generateKeyPair(0, 2048), 'GenerateKeyPair'],
    ];
    for (const [body, name] of methods) assert.equal(faultOf(await post(body)).name, 'ActionNotSupported', name);
    const state = (await harnesses.early?.control.get<{ firmware: { stagedSettings: string[]; keyStore: { keyPairs: unknown[] } } }>('/devices/0'))?.firmware;
    assert.deepEqual([state?.stagedSettings, state?.keyStore.keyPairs.length], [[], 0]);
  });

  void it('answers the WS-Man phase 1 classes as unknown resources (wsa:DestinationUnreachable, InvalidResourceURI)', async () => {
    const post = wsmanPoster(() => endpoint('early'));
    for (const body of [request.getLowAccuracyTimeSynch(), request.enumerate('AMT_PublicPrivateKeyPair'), request.enumerate('AMT_TLSCredentialContext'), request.enumerate('AMT_TLSSettingData')]) {
      const fault = faultOf(await post(body));
      assert.deepEqual([fault.name, fault.detail], ['DestinationUnreachable', 'InvalidResourceURI']);
    }
  });

  void it('still serves the classes it has: AMT_SetupAndConfigurationService Get and CIM_SoftwareIdentity', async () => {
    const post = wsmanPoster(() => endpoint('early'));
    assert.equal(okBody(await post(request.get('AMT_SetupAndConfigurationService')), 'AMT_SetupAndConfigurationService').ProvisioningState, '1');
    const identity = (await instancesOf(post, 'CIM_SoftwareIdentity', CIM_URI)).find((i) => i.InstanceID === 'AMT');
    assert.equal(identity?.VersionString, DEFAULT_FIRMWARE_VERSION.early);
  });
});

void describe('transitional firmware (AMT 6-8) serves both dialects', () => {
  void it('EOI and WS-Man phase 1 both answer, on the same firmware state', async () => {
    const at = () => endpoint('transitional');
    const version = await (await eoiClient('SecurityAdministration', at))('GetCoreVersion');
    assert.equal(version.Version, TRANSITIONAL_VERSION);
    const post = wsmanPoster(at);
    // A Ta0 read over WS-Man is the one the device issued last: EOI's Set accepts it (one time sync, two dialects).
    const ta0 = Number(methodOutput(await post(request.getLowAccuracyTimeSynch()), 'GetLowAccuracyTimeSynch').Ta0);
    const now = Math.floor(Date.now() / 1000);
    assertStatus(await (await eoiClient('NetworkTime', at))('SetHighAccuracyTimeSynch', { Ta0: ta0, Tm1: now, Tm2: now }), 'SUCCESS');
    methodOutput(await post(request.setHighAccuracyTimeSynch(ta0, now, now)), 'SetHighAccuracyTimeSynch', 'INVALID_PARAMETER');
  });

  void it('keeps the release limits: no 3072-bit keys before AMT 16', async () => {
    const post = wsmanPoster(() => endpoint('transitional'));
    methodOutput(await post(request.generateKeyPair(0, 3072)), 'GenerateKeyPair', 'INVALID_PARAMETER');
    methodOutput(await post(request.generateKeyPair(0, 2048)), 'GenerateKeyPair');
  });
});

void describe('provisioning chain rules by release (section 3, docs/amt-protocol.md section 9)', () => {
  const tryChain = async (family: Family, chain: { keyPem: string; chainPems: string[] }) => {
    const d = { ...endpoint(family), tls: chain };
    return wsmanPoster(() => d)(request.get('AMT_SetupAndConfigurationService')).then(
      (response) => response.status,
      () => 'refused' as const,
    );
  };
  const lastRefusal = async (family: Family) =>
    (await harnesses[family]?.control.get<{ tlsRefusals: { reason: string }[] }>('/devices/0/counters'))?.tlsRefusals.at(-1)?.reason;

  void it('AMT 16 accepts 3072-bit CA keys; AMT 7 refuses them (ca-key-size)', async () => {
    assert.equal(await tryChain('modern', chain3072), 200);
    assert.equal(await tryChain('transitional', chain3072), 'refused');
    assert.equal(await lastRefusal('transitional'), 'ca-key-size');
  });

  void it('AMT 16 trusts a root by its SHA-384 hash; AMT 7 does not use SHA-384 hashes (root-trusted)', async () => {
    assert.equal(await tryChain('modern', chainSha384), 200);
    assert.equal(await tryChain('transitional', chainSha384), 'refused');
    assert.equal(await lastRefusal('transitional'), 'root-trusted');
  });
});
