// AMT_SetupAndConfigurationService (docs/amt-protocol.md section 7, step 4: the OTP the device
// presents; section 2: ExtendProvisioningPeriod; docs/amt-protocol.md section 9: SetMEBxPassword,
// CommitChanges, Unprovision, PartialUnprovision on AMT 6 and later) and CIM_SoftwareIdentity
// (firmware version, read first by the server on every release).
import { WSMAN_SETUP_SINCE } from '../../../../contract/firmwareFamilies';
import { PROVISIONING_MODE } from '../../../../contract/provisioning';
import { PT_STATUS } from '../../../../contract/ptStatus';
import { setMebxPassword, unprovisionFully, unprovisionPartially } from '../../setupOperations';
import { amtUri, cimUri, serviceInstance, settingInstance, wsmanMethod, type WsmanClass } from '../classModel';

const SETUP = 'AMT_SetupAndConfigurationService';
/** ExtendProvisioningPeriod's Duration: hours, "limited to maximum value of 24 in each call" (AMT SDK). */
const MAX_EXTENSION_HOURS = 24;

/**
 * ProvisioningServerOTP is an octet string in AMT's class, so it travels as base64; the
 * emulator presents the bytes of the OTP string (UTF-8) the host interface or the control
 * API set (the emulator's reading of section 7). Only callers with administration rights see
 * it; it is absent when no OTP is set.
 */
export const setupAndConfigurationService: WsmanClass = {
  name: SETUP,
  resourceUri: amtUri(SETUP),
  singleton: true,
  instances: ({ fw, mayAdminister }) => {
    const otp = fw.state.otp;
    return [
      serviceInstance(SETUP, 'Intel(r) AMT Setup and Configuration Service', {
        EnabledState: 5,
        RequestedState: 12,
        PasswordModel: 1,
        ProvisioningMode: fw.state.provisioningMode === 'enterprise' ? PROVISIONING_MODE.ENTERPRISE : PROVISIONING_MODE.SMALL_BUSINESS,
        ProvisioningServerOTP: otp !== null && mayAdminister ? Buffer.from(otp, 'utf8').toString('base64') : null,
        ProvisioningState: fw.provisioningStateCode,
        ZeroTouchConfigurationEnabled: true,
      }),
    ];
  },
  methods: {
    /**
     * A new provisioning period (the emulator's reading of section 2): the Hello schedule starts
     * over with retry count 0, at once in pre-provisioning, or counted from 0 again when the
     * device, now being provisioned, sends Hellos again. Duration (1-24 hours, optional) is
     * checked but the period keeps the seed's schedule. INVALID_PT_MODE once provisioned.
     */
    ExtendProvisioningPeriod: wsmanMethod({
      input: { Duration: { type: 'uint' } },
      run: ({ fw }, { Duration }) => {
        if (Duration !== undefined && (Duration < 1 || Duration > MAX_EXTENSION_HOURS)) return { returnValue: PT_STATUS.INVALID_PARAMETER };
        fw.extendProvisioningPeriod();
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),

    SetMEBxPassword: wsmanMethod({
      input: { Password: { type: 'string', required: true } },
      since: WSMAN_SETUP_SINCE,
      run: async ({ fw }, { Password }) => {
        await setMebxPassword(fw, Password);
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),

    /** Applies the staged setup (firmware commit: INVALID_PT_MODE, DATA_MISSING; the power-loss fault drops the answer). */
    CommitChanges: wsmanMethod({
      input: {},
      since: WSMAN_SETUP_SINCE,
      run: async ({ fw }) => {
        await fw.commit();
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),

    /** Full unprovision (setupOperations.ts unprovisionFully). */
    Unprovision: wsmanMethod({
      input: { ProvisioningMode: { type: 'uint' } },
      since: WSMAN_SETUP_SINCE,
      run: async ({ fw }, { ProvisioningMode }) => {
        await unprovisionFully(fw, ProvisioningMode);
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),

    /**
     * Partial unprovision (setupOperations.ts unprovisionPartially). rpc-go calls it over WS-Man
     * on provisioned devices ("only supported in ACM mode").
     */
    PartialUnprovision: wsmanMethod({
      input: {},
      since: WSMAN_SETUP_SINCE,
      run: async ({ fw }) => {
        await unprovisionPartially(fw);
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),
  },
};

const SOFTWARE = 'CIM_SoftwareIdentity';

/** AMT lists several identities (Flash, Netstack, AMTApps, AMT, Sku, ...); the emulator offers the two carrying the firmware version. */
export const softwareIdentity: WsmanClass = {
  name: SOFTWARE,
  resourceUri: cimUri(SOFTWARE),
  instances: ({ fw }) =>
    ['AMT', 'Flash'].map((id) => settingInstance(id, { InstanceID: id, IsEntity: true, VersionString: fw.state.firmwareVersion })),
};
