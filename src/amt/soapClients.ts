// First provisioning stage (seed steps 7.1-7.6): `soap` clients generated from the project's
// EOI WSDLs (src/contract/wsdl), their HTTP going through the device's Digest session.
// Every operation's StatusCode is checked: non-zero -> AmtStatusError with the PT_STATUS name.
import path from 'node:path';
import * as soap from 'soap';
import { EOI_PATHS, EOI_WSDL_FILES, type EoiService } from '../contract/namespaces';
import { PT_STATUS_NAMES } from '../contract/ptStatus';
import { DEVICE_TLS_KEY_BITS, KEY_ALGORITHM_RSA, PROVISIONING_MODE } from '../contract/provisioning';
import { checkDeviceXml, path as xmlPath, text, type XmlNode, type XmlValue } from './deviceXml';
import { digestHa1 } from './digestAuth';
import type { DigestSession } from './digestClient';
import { AmtProtocolError, AmtSoapFault, AmtStatusError, DeviceXmlRejected, UnexpectedHttpStatus } from './errors';

const WSDL_DIR = path.resolve(__dirname, '../contract/wsdl');

// Our own WSDL cache: soap's shared one is keyed by path alone and would keep whichever
// options (e.g. customDeserializer) the first caller in the process used.
const wsdlCache = new Map<string, unknown>();
const soapWsdlCache = {
  has: (key: string) => wsdlCache.has(key),
  get: (key: string) => wsdlCache.get(key),
  set: (key: string, wsdl: unknown) => { wsdlCache.set(key, wsdl); },
} as unknown as soap.IOptions['wsdlCache'];

type SoapRequestPromise = ReturnType<soap.IHttpClient['request']>;

/** soap's IHttpClient over the Digest session: device XML is screened before soap parses it. */
function digestHttpClient(session: DigestSession): soap.IHttpClient {
  return {
    request(url: string, data: string, callback: (error: unknown, response?: unknown, body?: unknown) => void, headers: Record<string, string> = {}): SoapRequestPromise {
      const soapAction = headers.SOAPAction ?? headers.soapAction;
      const { pathname } = new URL(url);
      const done = session.post(pathname, data, 'text/xml; charset=utf-8', soapAction !== undefined ? { SOAPAction: soapAction } : {}).then((response) => {
        // 500 carries SOAP faults; anything else but 200 is not a SOAP answer.
        if (response.status !== 200 && response.status !== 500) throw new UnexpectedHttpStatus(response.status, pathname);
        checkDeviceXml(response.body, `SOAP ${pathname}`);
        callback(null, { status: response.status, headers: response.headers, data: response.body }, response.body);
      }).catch((error: unknown) => callback(error));
      // soap ignores the returned promise; the callback carries the outcome.
      return done as unknown as SoapRequestPromise;
    },
  };
}

type Fields = Record<string, string | number | boolean>;

/** One EOI service client: calls an operation and enforces its StatusCode. */
export class EoiServiceClient {
  constructor(readonly service: EoiService, private readonly client: soap.Client) {}

  async call(operation: string, args: Fields = {}): Promise<Record<string, unknown>> {
    const label = `${this.service}.${operation}`;
    const method = (this.client as unknown as Record<string, ((args: Fields) => Promise<[unknown]>) | undefined>)[`${operation}Async`];
    if (!method) throw new Error(`${label} is not in ${EOI_WSDL_FILES[this.service]}`);
    let result: unknown;
    try {
      [result] = await method.call(this.client, args);
    } catch (error) {
      throw soapError(error, label);
    }
    const fields = (result ?? {}) as Record<string, unknown>;
    const status = fields.StatusCode;
    if (typeof status !== 'number' || !Number.isInteger(status)) throw new DeviceXmlRejected(`${label}: the answer has no numeric StatusCode`);
    if (status !== 0) throw new AmtStatusError(label, status, PT_STATUS_NAMES.get(status) ?? `UNKNOWN_${status}`);
    return fields;
  }
}

function soapError(error: unknown, label: string): AmtProtocolError {
  if (error instanceof AmtProtocolError) return error;
  // soap throws { Fault } (sometimes under .root.Envelope.Body) for a fault answer.
  const root = (error as { root?: XmlNode } | undefined)?.root;
  const fault = xmlPath(root, 'Envelope', 'Body', 'Fault') ?? (error as { Fault?: XmlNode } | undefined)?.Fault;
  if (fault !== undefined) {
    const field = (...names: string[]) => {
      const value = xmlPath(fault, ...names) as unknown;
      return typeof value === 'number' ? String(value) : text(value as XmlValue | undefined);
    };
    // SOAP 1.1 faultcode/faultstring, or SOAP 1.2 Code/Reason.
    return new AmtSoapFault(label, field('faultcode') ?? field('Code', 'Value') ?? 'unknown', field('Code', 'Subcode', 'Value'), field('faultstring') ?? field('Reason', 'Text') ?? '');
  }
  return new DeviceXmlRejected(`${label}: unusable SOAP answer (${error instanceof Error ? error.message : String(error)})`, { cause: error });
}

async function serviceClient(session: DigestSession, service: EoiService): Promise<EoiServiceClient> {
  const client = await soap.createClientAsync(path.join(WSDL_DIR, EOI_WSDL_FILES[service]), {
    endpoint: `https://${session.agent.host}:${session.agent.port}${EOI_PATHS[service]}`,
    httpClient: digestHttpClient(session),
    wsdlCache: soapWsdlCache,
    // `soap` converts xs:int but not xs:unsignedInt (src/contract/README.md).
    customDeserializer: { unsignedInt: (value: string) => Number(value) },
  });
  return new EoiServiceClient(service, client);
}

const numberField = (fields: Record<string, unknown>, name: string, label: string): number => {
  const value = fields[name];
  if (typeof value !== 'number') throw new DeviceXmlRejected(`${label}: ${name} missing or not a number`);
  return value;
};
const stringField = (fields: Record<string, unknown>, name: string, label: string): string => {
  const value = fields[name];
  if (typeof value !== 'string') throw new DeviceXmlRejected(`${label}: ${name} missing`);
  return value;
};

/** Typed operations of the four EOI services over one Digest session. */
export class EoiClients {
  private constructor(
    private readonly security: EoiServiceClient,
    private readonly time: EoiServiceClient,
    private readonly network: EoiServiceClient,
    private readonly certStore: EoiServiceClient,
  ) {}

  static async connect(session: DigestSession): Promise<EoiClients> {
    const [security, time, network, certStore] = await Promise.all(
      (['SecurityAdministration', 'NetworkTime', 'NetworkAdministration', 'CertStore'] as const).map((service) => serviceClient(session, service)),
    );
    return new EoiClients(security, time, network, certStore);
  }

  async getCoreVersion(): Promise<string> {
    return stringField(await this.security.call('GetCoreVersion'), 'Version', 'GetCoreVersion');
  }

  async getProvisioningMode(): Promise<number> {
    return numberField(await this.security.call('GetProvisioningMode'), 'ProvisioningMode', 'GetProvisioningMode');
  }

  async getProvisioningState(): Promise<number> {
    return numberField(await this.security.call('GetProvisioningState'), 'ProvisioningState', 'GetProvisioningState');
  }

  /** Seed step 7.1, read half: the device clock (seconds since 1970 UTC). */
  async getLowAccuracyTimeSynch(): Promise<number> {
    return numberField(await this.time.call('GetLowAccuracyTimeSynch'), 'Ta0', 'GetLowAccuracyTimeSynch');
  }

  async setHighAccuracyTimeSynch(ta0: number, tm1: number, tm2: number): Promise<void> {
    await this.time.call('SetHighAccuracyTimeSynch', { Ta0: ta0, Tm1: tm1, Tm2: tm2 });
  }

  /** Seed step 7.1: Ta0 from the device, Tm1 when it arrived, Tm2 just before setting (server clock, seconds). */
  async synchronizeClock(nowSeconds: () => number = () => Math.floor(Date.now() / 1000)): Promise<{ ta0: number; tm1: number; tm2: number }> {
    const ta0 = await this.getLowAccuracyTimeSynch();
    const tm1 = nowSeconds();
    const tm2 = nowSeconds();
    await this.setHighAccuracyTimeSynch(ta0, tm1, tm2);
    return { ta0, tm1, tm2 };
  }

  async getHostName(): Promise<string> {
    return stringField(await this.network.call('GetHostName'), 'HostName', 'GetHostName');
  }

  async setHostName(hostName: string): Promise<void> {
    await this.network.call('SetHostName', { HostName: hostName });
  }

  async getDomainName(): Promise<string> {
    return stringField(await this.network.call('GetDomainName'), 'DomainName', 'GetDomainName');
  }

  async setDomainName(domainName: string): Promise<void> {
    await this.network.call('SetDomainName', { DomainName: domainName });
  }

  /** Seed step 7.3: the device makes an RSA key pair; returns its handle. */
  async generateKeyPair(keyLength = DEVICE_TLS_KEY_BITS): Promise<number> {
    return numberField(await this.certStore.call('GenerateKeyPair', { KeyAlgorithm: KEY_ALGORITHM_RSA, KeyLength: keyLength }), 'KeyPairHandle', 'GenerateKeyPair');
  }

  /** A DER PKCS#10 request signed by the device's key pair. */
  async getPkcs10Request(keyPairHandle: number, subjectDn: string): Promise<Buffer> {
    const fields = await this.certStore.call('GetPKCS10Request', { KeyPairHandle: keyPairHandle, SubjectDN: subjectDn });
    return Buffer.from(stringField(fields, 'CertificateRequest', 'GetPKCS10Request'), 'base64');
  }

  /** Stores a DER certificate on the device; returns its handle. */
  async addCertificate(certificateDer: Buffer): Promise<number> {
    return numberField(await this.certStore.call('AddCertificate', { CertificateBlob: certificateDer.toString('base64') }), 'CertificateHandle', 'AddCertificate');
  }

  async setTlsKeyAndCertificate(keyPairHandle: number, certificateHandle: number): Promise<void> {
    await this.security.call('SetTLSKeyAndCertificate', { KeyPairHandle: keyPairHandle, CertificateHandle: certificateHandle });
  }

  async setTlsEnabled(enabled: boolean): Promise<void> {
    await this.security.call('SetTlsEnabled', { Enabled: enabled });
  }

  /** Seed step 7.4: the admin account; only MD5(username:realm:password) crosses the wire. */
  async setAdminAclEntry(username: string, password: string, digestRealm: string): Promise<void> {
    await this.security.call('SetAdminAclEntry', { Username: username, DigestPassword: digestHa1(username, digestRealm, password).toString('base64') });
  }

  /** Seed step 7.5; PT_STATUS_NOT_PERMITTED / UNSUPPORTED when the firmware does not allow it. */
  async setMebxPassword(password: string): Promise<void> {
    await this.security.call('SetMEBxPassword', { Password: password });
  }

  /** Seed step 7.6: the device moves to post-provisioning. */
  async commitChanges(): Promise<void> {
    await this.security.call('CommitChanges');
  }

  /** Back to pre-provisioning, everything removed (ProvisioningMode 1, enterprise; docs/amt-protocol.md section 5). */
  async unprovision(): Promise<void> {
    await this.security.call('Unprovision', { ProvisioningMode: PROVISIONING_MODE.ENTERPRISE });
  }

  /** Back to pre-provisioning, keeping the admin account, host and domain name. */
  async partialUnprovision(): Promise<void> {
    await this.security.call('PartialUnprovision');
  }
}
