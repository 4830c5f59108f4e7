// What the site server does with an agent's in-band request (docs/amt-protocol.md section 7,
// steps 2-3), store side: record the computer, creating it from the client's registration
// when it was never imported ("system discovery / client registration"), take host name and
// domain from the registration, mark it in-band managed (its Hellos are dropped from now on),
// and keep the OTP hash in the vault for the run's identity check. An agent speaks only for
// the computer it was enrolled for (FQDN, and UUID once bound): anything else is 403. One
// transaction: a refused request changes nothing.
import { normalSerial, type EnrolledAgentRecord } from '../agents';
import type { Computer } from '../computers';
import type { SiteStore, SiteStoreTransaction, SiteStoreView } from '../store';
import { ApiError } from './httpJson';
import type { ValidInBandRequest } from './schemas';

export interface RequestingAgent extends Pick<EnrolledAgentRecord, 'name' | 'serialNumber' | 'fqdn' | 'uuid'> {
  /** TCP peer address of the agent: the device's own address. */
  address: string;
}

export interface RecordedInBandRequest {
  computer: Computer;
  /** True when the computer was unknown until this request (client registration). */
  discovered: boolean;
}

/**
 * The binding rules. The FQDN asked for must be the agent's; its UUID must be the agent's
 * once bound; and a known computer must already carry that FQDN, unless the operator bound
 * the agent to that UUID at enrolment (then the host OS may rename it, as the seed's client
 * registration does). Without the last rule any agent could take over an imported computer
 * by asking for its UUID under its own name.
 */
function assertAgentSpeaksFor(agent: RequestingAgent, uuid: string, fqdn: string, known: Computer | undefined): void {
  if (fqdn !== agent.fqdn) throw new ApiError(403, `agent ${agent.name} is enrolled for ${agent.fqdn}, not ${fqdn}`);
  if (agent.uuid !== null && agent.uuid !== uuid) throw new ApiError(403, `agent ${agent.name} is bound to computer ${agent.uuid}, not ${uuid}`);
  if (known && known.fqdn !== fqdn && agent.uuid !== uuid) {
    throw new ApiError(403, `computer ${uuid} is ${known.fqdn}; agent ${agent.name} (enrolled for ${agent.fqdn}) may not rename it unless enrolled with --uuid ${uuid}`);
  }
}

async function assertNamesFree(store: SiteStoreView, netbiosName: string, fqdn: string, uuid: string): Promise<void> {
  const byName = await store.computers.findByName(netbiosName);
  if (byName && byName.uuid !== uuid) throw new ApiError(409, `host name ${netbiosName} already belongs to computer ${byName.uuid}`);
  const byFqdn = await store.computers.findByFqdn(fqdn);
  if (byFqdn && byFqdn.uuid !== uuid) throw new ApiError(409, `FQDN ${fqdn} already belongs to computer ${byFqdn.uuid}`);
}

export async function recordInBandRequest(store: SiteStore, request: ValidInBandRequest, agent: RequestingAgent): Promise<RecordedInBandRequest> {
  const netbiosName = request.hostName;
  const fqdn = `${netbiosName.toLowerCase()}.${request.domain}`;
  try {
    return await store.transaction((tx) => recordBoundRequest(tx, request, agent, netbiosName, fqdn));
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) {
      // A security event: an enrolled agent asked for a computer it does not speak for.
      await store.audit.recordAudit({
        actor: `agent:${agent.name}`, action: 'security.agent-request-refused', computerUuid: request.uuid, outcome: 'failure',
        detail: { address: agent.address, fqdn, reason: err.message },
      });
    }
    throw err;
  }
}

/**
 * Two requests at once (one agent retrying, or two roles' API servers) are serialised by the
 * agent's and then the UUID's advisory lock: without them both could find no computer and
 * both insert it, or both bind the agent to different computers. Always in that order.
 */
async function recordBoundRequest(store: SiteStoreTransaction, request: ValidInBandRequest, agent: RequestingAgent, netbiosName: string, fqdn: string): Promise<RecordedInBandRequest> {
  await store.db.lockConcern(`agent ${normalSerial(agent.serialNumber)}`);
  await store.db.lockConcern(`computer ${request.uuid}`);
  const known = await store.computers.findByUuid(request.uuid);
  // The binding as stored now: a concurrent first request of the same agent may have bound it.
  assertAgentSpeaksFor({ ...agent, ...(await store.agents.bySerial(agent.serialNumber)) }, request.uuid, fqdn, known);
  await assertNamesFree(store, netbiosName, fqdn, request.uuid);
  await store.agents.bindUuid(agent.serialNumber, request.uuid);
  const actor = `agent:${agent.name}`;
  let computer: Computer;
  if (!known) {
    computer = await store.computers.add({ uuid: request.uuid, netbiosName, fqdn });
    await store.audit.recordAudit({ actor, action: 'computer.discover', computerUuid: computer.uuid, outcome: 'success', detail: { netbiosName, fqdn, source: 'client-registration' } });
  } else if (known.netbiosName !== netbiosName || known.fqdn !== fqdn) {
    // The host OS is the authority on its own name and domain (seed: "from discovery or client registration").
    computer = await store.computers.updateIdentity(known.id, { netbiosName, fqdn });
    await store.audit.recordAudit({
      actor, action: 'computer.rename', computerUuid: computer.uuid, outcome: 'info',
      detail: { fromName: known.netbiosName, fromFqdn: known.fqdn, netbiosName, fqdn, source: 'client-registration' },
    });
  } else {
    computer = known;
  }
  computer = await store.computers.setDeviceFacts(computer.id, { inBandManaged: true });
  await store.inBand.record(computer.id, request.otpHash, { hostName: netbiosName.toLowerCase(), domain: request.domain, agentAddress: agent.address });
  await store.audit.recordAudit({
    actor, action: 'provisioning.in-band-request', computerUuid: computer.uuid, outcome: 'info',
    detail: { address: agent.address, fqdn, discovered: !known, trustedRoots: request.trustedRootHashes.length },
  });
  return { computer, discovered: !known };
}
