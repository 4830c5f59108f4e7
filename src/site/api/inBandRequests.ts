// What the site server does with an agent's in-band request (AMT-PROTOCOL.md section 7,
// steps 2-3), store side: record the computer, creating it from the client's registration
// when it was never imported ("system discovery / client registration"), take host name and
// domain from the registration, mark it in-band managed (its Hellos are dropped from now on),
// and keep the OTP hash in the vault for the run's identity check. One transaction: a
// refused request changes nothing.
import type { Computer } from '../computers';
import type { SiteStore } from '../store';
import { ApiError } from './httpJson';
import type { ValidInBandRequest } from './schemas';

export interface RequestingAgent {
  name: string;
  /** TCP peer address of the agent: the device's own address. */
  address: string;
}

export interface RecordedInBandRequest {
  computer: Computer;
  /** True when the computer was unknown until this request (client registration). */
  discovered: boolean;
}

function assertNamesFree(store: SiteStore, netbiosName: string, fqdn: string, uuid: string): void {
  const byName = store.computers.findByName(netbiosName);
  if (byName && byName.uuid !== uuid) throw new ApiError(409, `host name ${netbiosName} already belongs to computer ${byName.uuid}`);
  const byFqdn = store.computers.findByFqdn(fqdn);
  if (byFqdn && byFqdn.uuid !== uuid) throw new ApiError(409, `FQDN ${fqdn} already belongs to computer ${byFqdn.uuid}`);
}

export function recordInBandRequest(store: SiteStore, request: ValidInBandRequest, agent: RequestingAgent): RecordedInBandRequest {
  const netbiosName = request.hostName;
  const fqdn = `${netbiosName.toLowerCase()}.${request.domain}`;
  return store.transaction(() => {
    assertNamesFree(store, netbiosName, fqdn, request.uuid);
    const known = store.computers.findByUuid(request.uuid);
    const actor = `agent:${agent.name}`;
    let computer: Computer;
    if (!known) {
      computer = store.computers.add({ uuid: request.uuid, netbiosName, fqdn });
      store.audit.recordAudit({ actor, action: 'computer.discover', computerUuid: computer.uuid, outcome: 'success', detail: { netbiosName, fqdn, source: 'client-registration' } });
    } else if (known.netbiosName !== netbiosName || known.fqdn !== fqdn) {
      // The host OS is the authority on its own name and domain (seed: "from discovery or client registration").
      computer = store.computers.updateIdentity(known.id, { netbiosName, fqdn });
      store.audit.recordAudit({
        actor, action: 'computer.rename', computerUuid: computer.uuid, outcome: 'info',
        detail: { fromName: known.netbiosName, fromFqdn: known.fqdn, netbiosName, fqdn, source: 'client-registration' },
      });
    } else {
      computer = known;
    }
    computer = store.computers.setDeviceFacts(computer.id, { inBandManaged: true });
    store.inBand.record(computer.id, request.otpHash, { hostName: netbiosName.toLowerCase(), domain: request.domain, agentAddress: agent.address });
    store.audit.recordAudit({
      actor, action: 'provisioning.in-band-request', computerUuid: computer.uuid, outcome: 'info',
      detail: { address: agent.address, fqdn, discovered: !known, trustedRoots: request.trustedRootHashes.length },
    });
    return { computer, discovered: !known };
  });
}
