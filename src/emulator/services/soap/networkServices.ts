// NetworkTime and NetworkAdministration EOI operations (seed steps 7.1 and 7.2).
import { PT_STATUS } from '../../../contract/ptStatus';
import { refuse } from '../refusal';
import { lowAccuracyTime, setHighAccuracyTime } from '../setupOperations';
import { domainNameProblem, fqdnProblem, hostNameProblem } from '../validation/dnsNames';
import { eoiOperation, type EoiOperation } from './eoiOperation';

export const networkTime: Record<string, EoiOperation> = {
  GetLowAccuracyTimeSynch: eoiOperation({
    args: {},
    emptyResponse: { Ta0: 0 },
    readOnly: true,
    run: (_args, fw) => ({ Ta0: lowAccuracyTime(fw) }),
  }),

  SetHighAccuracyTimeSynch: eoiOperation({
    args: { Ta0: 'uint', Tm1: 'uint', Tm2: 'uint' },
    emptyResponse: {},
    run: async ({ Ta0, Tm1, Tm2 }, fw) => {
      await setHighAccuracyTime(fw, Ta0, Tm1, Tm2);
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
