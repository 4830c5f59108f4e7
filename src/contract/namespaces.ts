// XML namespaces, endpoint paths and resource URI prefixes (docs/amt-protocol.md sections 5 and 6).

/** Legacy AMT "EOI" SOAP services of the first provisioning stage (section 5). */
export const EOI_SERVICES = ['SecurityAdministration', 'NetworkTime', 'NetworkAdministration', 'CertStore'] as const;
export type EoiService = (typeof EOI_SERVICES)[number];

/** Target namespace per EOI service: Intel's, `.../<Service>/2004/01`, CertStore `.../2006/01`. */
export const EOI_NAMESPACES: Readonly<Record<EoiService, string>> = {
  SecurityAdministration: 'http://schemas.intel.com/platform/client/SecurityAdministration/2004/01',
  NetworkTime: 'http://schemas.intel.com/platform/client/NetworkTime/2004/01',
  NetworkAdministration: 'http://schemas.intel.com/platform/client/NetworkAdministration/2004/01',
  CertStore: 'http://schemas.intel.com/platform/client/CertStore/2006/01',
};

/** HTTP path of each EOI service on the device: `/<Service>Service`. */
export const EOI_PATHS: Readonly<Record<EoiService, string>> = {
  SecurityAdministration: '/SecurityAdministrationService',
  NetworkTime: '/NetworkTimeService',
  NetworkAdministration: '/NetworkAdministrationService',
  CertStore: '/CertStoreService',
};

/** WSDL file name (under src/contract/wsdl/) per EOI service. */
export const EOI_WSDL_FILES: Readonly<Record<EoiService, string>> = {
  SecurityAdministration: 'SecurityAdministration.wsdl',
  NetworkTime: 'NetworkTime.wsdl',
  NetworkAdministration: 'NetworkAdministration.wsdl',
  CertStore: 'CertStore.wsdl',
};

export const SOAP11_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_ENVELOPE_NS = 'http://www.w3.org/2003/05/soap-envelope';

/** WS-Management endpoint path on the device (section 6). */
export const WSMAN_PATH = '/wsman';
export const WSMAN_NS = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd';
export const WS_ADDRESSING_NS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
export const WS_ADDRESSING_ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';
export const WS_ENUMERATION_NS = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration';
export const WS_TRANSFER_NS = 'http://schemas.xmlsoap.org/ws/2004/09/transfer';

/** WS-Transfer / WS-Enumeration action URIs. */
export const WSMAN_ACTIONS = {
  GET: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get',
  PUT: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Put',
  CREATE: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
  DELETE: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete',
  ENUMERATE: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate',
  PULL: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull',
} as const;

/** Resource URI prefixes: a class's URI is prefix + class name; a method's action is `<ResourceURI>/<Method>`. */
export const AMT_RESOURCE_URI_PREFIX = 'http://intel.com/wbem/wscim/1/amt-schema/1/';
export const CIM_RESOURCE_URI_PREFIX = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/';
export const IPS_RESOURCE_URI_PREFIX = 'http://intel.com/wbem/wscim/1/ips-schema/1/';
