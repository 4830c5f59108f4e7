// Operation names of each EOI SOAP service, as declared in src/contract/wsdl/<Service>.wsdl
// (docs/amt-protocol.md section 5). Each response carries StatusCode first.

import type { EoiService } from './namespaces';

export const EOI_OPERATIONS = {
  SecurityAdministration: [
    'GetCoreVersion', 'GetProvisioningMode', 'GetProvisioningState', 'SetTLSKeyAndCertificate',
    'SetTlsEnabled', 'SetAdminAclEntry', 'SetMEBxPassword', 'CommitChanges', 'Unprovision', 'PartialUnprovision',
  ],
  NetworkTime: ['GetLowAccuracyTimeSynch', 'SetHighAccuracyTimeSynch'],
  NetworkAdministration: ['GetHostName', 'SetHostName', 'GetDomainName', 'SetDomainName'],
  CertStore: ['GenerateKeyPair', 'GetPKCS10Request', 'AddCertificate'],
} as const satisfies Record<EoiService, readonly string[]>;
