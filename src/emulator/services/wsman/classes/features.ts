// Feature switches of seed steps 8.2 and 8.3: AMT_WebUIService and AMT_RedirectionService
// (RequestStateChange, CIM ReturnValues) and AMT_SystemPowerScheme (SetPowerScheme, PT_STATUS).
import crypto from 'node:crypto';
import { CIM_RETURN_VALUE, PT_STATUS } from '../../../../contract/ptStatus';
import { ENABLED_STATE, POWER_SCHEME_INSTANCE_ID_PREFIX, REDIRECTION_STATE } from '../../../../contract/provisioning';
import { amtUri, serviceInstance, settingInstance, wsmanMethod, type WsmanClass } from '../classModel';

const requestStateChangeInput = { RequestedState: { type: 'uint', required: true } } as const;

const WEB_UI = 'AMT_WebUIService';

export const webUiService: WsmanClass = {
  name: WEB_UI,
  resourceUri: amtUri(WEB_UI),
  singleton: true,
  instances: ({ fw }) => {
    const state = fw.state.features.webUi ? ENABLED_STATE.ENABLED : ENABLED_STATE.DISABLED;
    return [serviceInstance(WEB_UI, 'Intel(r) AMT Web Browser UI Service', { EnabledState: state, RequestedState: state })];
  },
  methods: {
    RequestStateChange: wsmanMethod({
      input: requestStateChangeInput,
      run: async ({ fw }, { RequestedState }) => {
        if (RequestedState !== ENABLED_STATE.ENABLED && RequestedState !== ENABLED_STATE.DISABLED) return { returnValue: CIM_RETURN_VALUE.INVALID_PARAMETER };
        await fw.update((s) => {
          s.features.webUi = RequestedState === ENABLED_STATE.ENABLED;
        });
        return { returnValue: CIM_RETURN_VALUE.COMPLETED_NO_ERROR };
      },
    }),
  },
};

const REDIRECTION = 'AMT_RedirectionService';

/**
 * Real AMT serves SOL / IDE-R only when the interfaces are enabled (RequestStateChange) and
 * the redirection listener is on (ListenerEnabled, set by Put). The seed and docs/amt-protocol.md
 * only issue RequestStateChange, and the firmware model keeps no listener switch, so the
 * emulator's choice: enabling SOL or IDE-R also turns the listener on, and ListenerEnabled is
 * reported as "SOL or IDE-R enabled" (no Put).
 */
export const redirectionService: WsmanClass = {
  name: REDIRECTION,
  resourceUri: amtUri(REDIRECTION),
  singleton: true,
  instances: ({ fw }) => {
    const { sol, ider } = fw.state.features;
    const state = REDIRECTION_STATE.NONE + (ider ? 1 : 0) + (sol ? 2 : 0);
    return [serviceInstance(REDIRECTION, 'Intel(r) AMT Redirection Service', { EnabledState: state, ListenerEnabled: sol || ider })];
  },
  methods: {
    RequestStateChange: wsmanMethod({
      input: requestStateChangeInput,
      run: async ({ fw }, { RequestedState }) => {
        if (RequestedState < REDIRECTION_STATE.NONE || RequestedState > REDIRECTION_STATE.IDER_AND_SOL) return { returnValue: CIM_RETURN_VALUE.INVALID_PARAMETER };
        const bits = RequestedState - REDIRECTION_STATE.NONE;
        await fw.update((s) => {
          s.features.ider = (bits & 1) !== 0;
          s.features.sol = (bits & 2) !== 0;
        });
        return { returnValue: CIM_RETURN_VALUE.COMPLETED_NO_ERROR };
      },
    }),
  },
};

const POWER_SCHEME = 'AMT_SystemPowerScheme';

/**
 * The power packages the emulated firmware offers, as "SCHEME <n>" InstanceIDs (contract:
 * POWER_SCHEME_INSTANCE_ID_PREFIX; scheme 5 is SP1's "on in all states but power loss").
 * The list and the descriptions are the emulator's choice. The selected one is kept in the
 * firmware (powerScheme; null = the firmware default, never selected by a server).
 */
const SCHEME_DESCRIPTIONS = [
  'Mobile: ON in S0',
  'Desktop: ON in S0',
  'Desktop: ON in S0, ME Wake in S3, S4-5',
  'Desktop: ON in S0, S3',
  'Desktop: ON in S0, S3, S4-5 on AC power',
  'Desktop: ON in S0, S3, S4-5',
];
export const POWER_SCHEMES: readonly { instanceId: string; description: string }[] = SCHEME_DESCRIPTIONS.map((description, n) => ({
  instanceId: `${POWER_SCHEME_INSTANCE_ID_PREFIX}${n}`,
  description,
}));

export const systemPowerScheme: WsmanClass = {
  name: POWER_SCHEME,
  resourceUri: amtUri(POWER_SCHEME),
  instances: () =>
    POWER_SCHEMES.map(({ instanceId, description }) =>
      settingInstance(instanceId, {
        Description: description,
        ElementName: 'Intel(r) AMT Power Scheme',
        InstanceID: instanceId,
        SchemeGUID: crypto.createHash('md5').update(`amt-power-scheme:${instanceId}`).digest('base64'),
      }),
    ),
  methods: {
    SetPowerScheme: wsmanMethod({
      input: {},
      onInstance: true,
      run: async ({ fw }, _input, instance) => {
        // onInstance: the endpoint resolved the InstanceID selector before calling.
        const instanceId = instance?.keys.InstanceID ?? null;
        await fw.update((s) => {
          s.powerScheme = instanceId;
        });
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),
  },
};
