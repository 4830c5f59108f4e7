// AMT_TimeSynchronizationService (seed step 7.1 over WS-Man, AMT 6 and later): the same two-step
// clock exchange as EOI NetworkTime (../../setupOperations.ts). Methods return PT_STATUS.
import { WSMAN_SETUP_SINCE_MAJOR } from '../../../../contract/firmwareFamilies';
import { PT_STATUS } from '../../../../contract/ptStatus';
import { lowAccuracyTime, setHighAccuracyTime } from '../../setupOperations';
import { amtUri, serviceInstance, wsmanMethod, type WsmanClass } from '../classModel';

const NAME = 'AMT_TimeSynchronizationService';

export const timeSynchronizationService: WsmanClass = {
  name: NAME,
  resourceUri: amtUri(NAME),
  singleton: true,
  sinceMajor: WSMAN_SETUP_SINCE_MAJOR,
  instances: () => [serviceInstance(NAME, 'Intel(r) AMT Time Synchronization Service', { EnabledState: 5, RequestedState: 12 })],
  methods: {
    GetLowAccuracyTimeSynch: wsmanMethod({
      input: {},
      readOnly: true,
      run: ({ fw }) => ({ returnValue: PT_STATUS.SUCCESS, output: { Ta0: lowAccuracyTime(fw) } }),
    }),
    SetHighAccuracyTimeSynch: wsmanMethod({
      input: { Ta0: { type: 'uint', required: true }, Tm1: { type: 'uint', required: true }, Tm2: { type: 'uint', required: true } },
      run: async ({ fw }, { Ta0, Tm1, Tm2 }) => {
        await setHighAccuracyTime(fw, Ta0, Tm1, Tm2);
        return { returnValue: PT_STATUS.SUCCESS };
      },
    }),
  },
};
