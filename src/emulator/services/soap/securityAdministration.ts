// SecurityAdministration EOI operations (AMT-PROTOCOL.md section 5, seed steps 7.3-7.6).
import { PROVISIONING_MODE } from '../../../contract/provisioning';
import { PT_STATUS } from '../../../contract/ptStatus';
import { assertUsableTlsCertificate } from '../keyStoreRules';
import { refuse } from '../refusal';
import { digestPasswordToHa1, passwordProblems, usernameProblem } from '../validation/credentials';
import { mebxChangeRefusal } from '../validation/mebxPolicy';
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
      assertUsableTlsCertificate(fw, CertificateHandle);
      await fw.setTlsKeyAndCertificate(KeyPairHandle, CertificateHandle);
      return {};
    },
  }),

  SetTlsEnabled: eoiOperation({
    args: { Enabled: 'boolean' },
    emptyResponse: {},
    run: async ({ Enabled }, fw) => {
      if (Enabled && fw.settings().tlsCertificateHandle === null) refuse(PT_STATUS.CERTIFICATE_NOT_READY, 'no TLS key and certificate set');
      await fw.applySetting('tlsEnabled', Enabled);
      return {};
    },
  }),

  SetAdminAclEntry: eoiOperation({
    args: { Username: 'string', DigestPassword: 'base64' },
    emptyResponse: {},
    run: async ({ Username, DigestPassword }, fw) => {
      const nameProblem = usernameProblem(Username, false);
      if (nameProblem) refuse(PT_STATUS.INVALID_NAME, nameProblem);
      // The device gets the digest hash, not the password: AMT's password rule is the server's to apply.
      const ha1 = digestPasswordToHa1(DigestPassword);
      if (ha1 === null) refuse(PT_STATUS.INVALID_PASSWORD, 'DigestPassword is not base64 of a 16-byte MD5 hash');
      if (fw.state.userAcl.some((entry) => entry.digestUsername === Username)) refuse(PT_STATUS.DUPLICATE, 'a user ACL entry has this name');
      await fw.applySetting('admin', { username: Username, ha1, setByServer: true });
      return {};
    },
  }),

  SetMEBxPassword: eoiOperation({
    args: { Password: 'string' },
    emptyResponse: {},
    run: async ({ Password }, fw) => {
      const refusal = mebxChangeRefusal({
        firmwareVersion: fw.state.firmwareVersion,
        changed: fw.state.mebx.changed,
        staged: fw.stagedSettingNames().includes('mebxPassword'),
      });
      if (refusal) refuse(refusal.status, refusal.reason);
      const problems = passwordProblems(Password);
      if (problems.length > 0) refuse(PT_STATUS.INVALID_PASSWORD, `MEBx password ${problems.join(', ')}`);
      await fw.applySetting('mebxPassword', Password);
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
};
