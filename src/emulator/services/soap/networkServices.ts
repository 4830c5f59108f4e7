// NetworkTime and NetworkAdministration EOI operations (seed steps 7.1 and 7.2).
import { PT_STATUS } from '../../../contract/ptStatus';
import type { Firmware } from '../../firmware/firmware';
import { refuse } from '../refusal';
import { domainNameProblem, fqdnProblem, hostNameProblem } from '../validation/dnsNames';
import { eoiOperation, type EoiOperation } from './eoiOperation';

/**
 * The Ta0 each device last answered. SetHighAccuracyTimeSynch must quote it (the emulator's
 * reading of "Ta0 as read", AMT-PROTOCOL.md section 5); it is consumed by a successful Set.
 */
const issuedTa0 = new WeakMap<Firmware, number>();

/**
 * The clock AMT sets from the two-step exchange: the server's time when it sent the Set (Tm2)
 * plus the one-way delay, estimated as half of (time the device waited, Ta1 - Ta0, minus the
 * time the server spent between the two calls, Tm2 - Tm1). All in seconds.
 */
export function synchronizedTime(ta0: number, tm1: number, tm2: number, ta1: number): number {
  const roundTrip = Math.max(0, ta1 - ta0 - (tm2 - tm1));
  return tm2 + roundTrip / 2;
}

export const networkTime: Record<string, EoiOperation> = {
  GetLowAccuracyTimeSynch: eoiOperation({
    args: {},
    emptyResponse: { Ta0: 0 },
    readOnly: true,
    run: (_args, fw) => {
      const ta0 = Math.floor(fw.now().getTime() / 1000);
      issuedTa0.set(fw, ta0);
      return { Ta0: ta0 };
    },
  }),

  SetHighAccuracyTimeSynch: eoiOperation({
    args: { Ta0: 'uint', Tm1: 'uint', Tm2: 'uint' },
    emptyResponse: {},
    run: async ({ Ta0, Tm1, Tm2 }, fw) => {
      if (issuedTa0.get(fw) !== Ta0) refuse(PT_STATUS.INVALID_PARAMETER, 'Ta0 is not the value of the last GetLowAccuracyTimeSynch');
      if (Tm2 < Tm1) refuse(PT_STATUS.INVALID_TIME, 'Tm2 is earlier than Tm1');
      const ta1 = fw.now().getTime() / 1000;
      await fw.setClock(new Date(synchronizedTime(Ta0, Tm1, Tm2, ta1) * 1000));
      issuedTa0.delete(fw);
      return {};
    },
  }),
};

export const networkAdministration: Record<string, EoiOperation> = {
  GetHostName: eoiOperation({
    args: {},
    emptyResponse: { HostName: '' },
    readOnly: true,
    run: (_args, fw) => ({ HostName: fw.settings().hostName }),
  }),

  SetHostName: eoiOperation({
    args: { HostName: 'string' },
    emptyResponse: {},
    run: async ({ HostName }, fw) => {
      const problem = hostNameProblem(HostName) ?? fqdnProblem(HostName, fw.settings().domainName);
      if (problem) refuse(PT_STATUS.INVALID_NAME, problem);
      await fw.applySetting('hostName', HostName);
      return {};
    },
  }),

  GetDomainName: eoiOperation({
    args: {},
    emptyResponse: { DomainName: '' },
    readOnly: true,
    run: (_args, fw) => ({ DomainName: fw.settings().domainName }),
  }),

  SetDomainName: eoiOperation({
    args: { DomainName: 'string' },
    emptyResponse: {},
    run: async ({ DomainName }, fw) => {
      const problem = domainNameProblem(DomainName) ?? fqdnProblem(fw.settings().hostName, DomainName);
      if (problem) refuse(PT_STATUS.INVALID_DOMAIN_NAME, problem);
      await fw.applySetting('domainName', DomainName);
      return {};
    },
  }),
};
