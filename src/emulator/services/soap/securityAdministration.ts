// SecurityAdministration EOI operations (docs/amt-protocol.md section 5, seed steps 7.3-7.6).
import { PROVISIONING_MODE } from '../../../contract/provisioning';
import { selectTlsCredential, setAdminAclEntry, setMebxPassword, setTlsEnabled, unprovisionFully, unprovisionPartially } from '../setupOperations';
import { eoiOperation, type EoiOperation } from './eoiOperation';

export const securityAdministration: Record<string, EoiOperation> = {
  GetCoreVersion: eoiOperation({
    args: {},
    emptyResponse: { Version: '' },
    readOnly: true,
    run: (_args, fw) => ({ Version: fw.state.firmwareVersion }),
  }),

  GetProvisioningMode: eoiOperation({
    args: {},
    emptyResponse: { ProvisioningMode: 0 },
    readOnly: true,
    run: (_args, fw) => ({
      ProvisioningMode: fw.state.provisioningMode === 'enterprise' ? PROVISIONING_MODE.ENTERPRISE : PROVISIONING_MODE.SMALL_BUSINESS,
    }),
  }),

  GetProvisioningState: eoiOperation({
    args: {},
    emptyResponse: { ProvisioningState: 0 },
    readOnly: true,
    run: (_args, fw) => ({ ProvisioningState: fw.provisioningStateCode }),
  }),

  SetTLSKeyAndCertificate: eoiOperation({
    args: { KeyPairHandle: 'uint', CertificateHandle: 'uint' },
    emptyResponse: {},
    run: async ({ KeyPairHandle, CertificateHandle }, fw) => {
      await selectTlsCredential(fw, KeyPairHandle, CertificateHandle);
      return {};
    },
  }),

  SetTlsEnabled: eoiOperation({
    args: { Enabled: 'boolean' },
    emptyResponse: {},
    run: async ({ Enabled }, fw) => {
      await setTlsEnabled(fw, Enabled);
      return {};
    },
  }),

  SetAdminAclEntry: eoiOperation({
    args: { Username: 'string', DigestPassword: 'base64' },
    emptyResponse: {},
    run: async ({ Username, DigestPassword }, fw) => {
      await setAdminAclEntry(fw, Username, DigestPassword);
      return {};
    },
  }),

  SetMEBxPassword: eoiOperation({
    args: { Password: 'string' },
    emptyResponse: {},
    run: async ({ Password }, fw) => {
      await setMebxPassword(fw, Password);
      return {};
    },
  }),

  CommitChanges: eoiOperation({
    args: {},
    emptyResponse: {},
    run: async (_args, fw) => {
      await fw.commit();
      return {};
    },
  }),

  // Unprovision and PartialUnprovision answer as their WS-Man twins do (setupAndConfiguration.ts).
  Unprovision: eoiOperation({
    args: { ProvisioningMode: 'uint' },
    emptyResponse: {},
    run: async ({ ProvisioningMode }, fw) => {
      await unprovisionFully(fw, ProvisioningMode);
      return {};
    },
  }),

  PartialUnprovision: eoiOperation({
    args: {},
    emptyResponse: {},
    run: async (_args, fw) => {
      await unprovisionPartially(fw);
      return {};
    },
  }),
};
