// EoiClients over real HTTPS + Digest against an in-test `soap` server built from the same
// WSDLs: typed results, StatusCode enforcement, SOAP faults and hostile answers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as soap from 'soap';
import { DeviceTlsAgent } from '../../../src/amt/deviceTls';
import { DigestSession } from '../../../src/amt/digestClient';
import { digestHa1 } from '../../../src/amt/digestAuth';
import { EoiClients } from '../../../src/amt/soapClients';
import { AmtSoapFault, AmtStatusError, DeviceXmlRejected } from '../../../src/amt/errors';
import { EOI_PATHS, EOI_SERVICES, EOI_WSDL_FILES, type EoiService } from '../../../src/contract/namespaces';
import { PT_STATUS } from '../../../src/contract/ptStatus';
import { issue, provisioningPki, rsaKey } from '../../unit/amt/support/testPki';
import { DigestDevice, type AuthorizedHandler } from './support/digestDevice';

const HOST = '127.0.31.3';
const pki = provisioningPki();
const device = new DigestDevice(HOST, issue({ cn: 'Intel(R) AMT device', key: rsaKey(2048, 7) }));
const received: Array<{ operation: string; args: unknown; soapAction: string | undefined }> = [];
let nextStatus: Partial<Record<string, number>> = {};

type Handler = (args: Record<string, unknown>) => Record<string, unknown>;
const ok = (extra: Record<string, unknown> = {}) => () => extra;
const OPERATIONS: Record<EoiService, Record<string, Handler>> = {
  SecurityAdministration: {
    GetCoreVersion: ok({ Version: '6.2.10' }),
    GetProvisioningMode: ok({ ProvisioningMode: 1 }),
    GetProvisioningState: ok({ ProvisioningState: 1 }),
    SetTLSKeyAndCertificate: ok(),
    SetTlsEnabled: ok(),
    SetAdminAclEntry: ok(),
    SetMEBxPassword: ok(),
    CommitChanges: () => { throw Object.assign(new Error('flash busy'), { Fault: { faultcode: 'soap:Server', faultstring: 'flash busy' } }); },
  },
  NetworkTime: { GetLowAccuracyTimeSynch: ok({ Ta0: 1_700_000_000 }), SetHighAccuracyTimeSynch: ok() },
  NetworkAdministration: { GetHostName: ok({ HostName: 'pc-0042' }), SetHostName: ok(), GetDomainName: ok({ DomainName: 'amt.test' }), SetDomainName: ok() },
  CertStore: {
    GenerateKeyPair: ok({ KeyPairHandle: 3 }),
    GetPKCS10Request: ok({ CertificateRequest: Buffer.from('csr-der').toString('base64') }),
    AddCertificate: ok({ CertificateHandle: 7 }),
  },
};

/** Mounts each WSDL's soap server behind the Digest device (soap's express mode takes req.body). */
function mountSoap(): AuthorizedHandler {
  const routes = new Map<string, (request: unknown, response: unknown) => void>();
  let currentPath = '';
  // soap's express mode registers `<path>/`.
  const app = { route: (routePath: string) => { currentPath = routePath.replace(/\/$/, ''); return { all: (handler: (q: unknown, s: unknown) => void) => routes.set(currentPath, handler) }; }, use: () => undefined };
  for (const service of EOI_SERVICES) {
    const port: Record<string, soap.ISoapServiceMethod> = {};
    for (const [operation, handler] of Object.entries(OPERATIONS[service])) {
      port[operation] = (args: Record<string, unknown>, _callback, _headers, request: { headers: Record<string, string> }) => {
        received.push({ operation, args, soapAction: request.headers.soapaction });
        return { StatusCode: nextStatus[operation] ?? 0, ...handler(args) };
      };
    }
    const xml = readFileSync(path.resolve(__dirname, '../../../src/contract/wsdl', EOI_WSDL_FILES[service]), 'utf8');
    soap.listen(app, { path: EOI_PATHS[service], xml, services: { [`${service}Service`]: { [`${service}Port`]: port } },
      customDeserializer: { unsignedInt: (value: string) => Number(value) } } as soap.IServerOptions);
  }
  return (request, response) => {
    if (request.headers['x-test-doctype'] !== undefined || request.url === '/NetworkTimeService' && request.body.includes('SetHighAccuracyTimeSynch') && nextStatus.doctype) {
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "0">]><Envelope><Body><SetHighAccuracyTimeSynchResponse><StatusCode>&e;</StatusCode></SetHighAccuracyTimeSynchResponse></Body></Envelope>');
      return;
    }
    const handler = routes.get(request.url ?? '');
    if (!handler) { response.writeHead(404).end(); return; }
    handler(request, response);
  };
}

void describe('EoiClients', () => {
  let agent: DeviceTlsAgent;
  let eoi: EoiClients;
  before(async () => {
    device.users.set('admin', 'Admin-Pa55');
    device.onAuthorized = mountSoap();
    await device.start();
    agent = new DeviceTlsAgent({ host: HOST, port: device.port, clientCredential: { privateKeyPem: pki.leaf.keyPem, chainPem: pki.chainPem }, identity: {} });
    eoi = await EoiClients.connect(new DigestSession(agent, { username: 'admin', password: 'Admin-Pa55' }));
  });
  after(async () => {
    agent.destroy();
    await device.stop();
  });
  const last = () => received.at(-1);

  void it('reads typed values (numbers as numbers) and sends the SOAPAction of the WSDL', async () => {
    assert.equal(await eoi.getCoreVersion(), '6.2.10');
    assert.equal(last()?.soapAction, '"http://schemas.intel.com/platform/client/SecurityAdministration/2004/01#GetCoreVersion"');
    assert.equal(await eoi.getProvisioningMode(), 1);
    assert.equal(await eoi.getProvisioningState(), 1);
    assert.equal(await eoi.getHostName(), 'pc-0042');
    assert.equal(await eoi.getDomainName(), 'amt.test');
  });

  void it('synchronizes the clock with Ta0 from the device and the server times around it', async () => {
    let tick = 100;
    const result = await eoi.synchronizeClock(() => tick++);
    assert.deepEqual(result, { ta0: 1_700_000_000, tm1: 100, tm2: 101 });
    assert.deepEqual(last(), { operation: 'SetHighAccuracyTimeSynch', args: { Ta0: 1_700_000_000, Tm1: 100, Tm2: 101 }, soapAction: '"http://schemas.intel.com/platform/client/NetworkTime/2004/01#SetHighAccuracyTimeSynch"' });
  });

  void it('runs the 7.3 certificate operations with handles and DER blobs', async () => {
    assert.equal(await eoi.generateKeyPair(), 3);
    assert.deepEqual(last()?.args, { KeyAlgorithm: 0, KeyLength: 2048 });
    assert.deepEqual(await eoi.getPkcs10Request(3, 'CN=pc-0042.amt.test'), Buffer.from('csr-der'));
    assert.equal(await eoi.addCertificate(Buffer.from([1, 2, 3])), 7);
    assert.deepEqual(last()?.args, { CertificateBlob: 'AQID' });
    await eoi.setTlsKeyAndCertificate(3, 7);
    assert.deepEqual(last()?.args, { KeyPairHandle: 3, CertificateHandle: 7 });
    await eoi.setTlsEnabled(true);
    assert.deepEqual(last()?.args, { Enabled: true });
  });

  void it('sends the admin password only as base64 MD5(user:realm:password)', async () => {
    await eoi.setAdminAclEntry('admin', 'New-Secret-9', device.realm);
    assert.deepEqual(last()?.args, { Username: 'admin', DigestPassword: digestHa1('admin', device.realm, 'New-Secret-9').toString('base64') });
    await eoi.setHostName('pc-0042');
    await eoi.setDomainName('amt.test');
    assert.deepEqual(last()?.args, { DomainName: 'amt.test' });
  });

  void it('turns a non-zero StatusCode into AmtStatusError with the PT_STATUS name and operation', async () => {
    nextStatus = { SetMEBxPassword: PT_STATUS.NOT_PERMITTED };
    try {
      await assert.rejects(eoi.setMebxPassword('Mebx-Pa55!'), (error: unknown) => {
        assert.ok(error instanceof AmtStatusError);
        assert.equal(error.operation, 'SecurityAdministration.SetMEBxPassword');
        assert.equal(error.statusName, 'PT_STATUS_NOT_PERMITTED');
        assert.equal(error.status, 16);
        assert.equal(error.retryable, false);
        assert.doesNotMatch(error.message, /Mebx-Pa55/);
        return true;
      });
    } finally {
      nextStatus = {};
    }
  });

  void it('turns a SOAP fault into AmtSoapFault', async () => {
    await assert.rejects(eoi.commitChanges(), (error: unknown) => {
      assert.ok(error instanceof AmtSoapFault, `got ${String(error)}`);
      assert.equal(error.operation, 'SecurityAdministration.CommitChanges');
      assert.match(error.reason, /flash busy/);
      return true;
    });
  });

  void it('refuses an answer with a DOCTYPE before soap parses it', async () => {
    nextStatus = { doctype: 1 };
    try {
      await assert.rejects(eoi.setHighAccuracyTimeSynch(1, 2, 3), DeviceXmlRejected);
    } finally {
      nextStatus = {};
    }
  });
});
