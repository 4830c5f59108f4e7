// What the listener does with a parsed Hello (seed steps 2-3): drop it with a reason, or
// start/signal the device's provisioning run. Pure but for the lookups, which are passed in.
import type { Hello } from '../amt/helloCodec';

export type DropReason = 'unknown-uuid' | 'in-band-managed' | 'provisioning-held' | 'root-not-trusted';

export interface HelloLookups {
  /** The imported computer with this UUID, if any. */
  computer(uuid: string): Promise<{ inBandManaged: boolean; provisioningHeld: boolean; fqdn: string } | undefined>;
  /** Root hashes (lowercase hex, any algorithm) of the site's provisioning certificates. */
  provisioningRootHashes(): Promise<ReadonlySet<string>>;
}

export type HelloDecision =
  | { action: 'provision'; uuid: string; hostname: string; trustedRootHashes: string[] }
  | { action: 'drop'; reason: DropReason };

export async function decideHello(hello: Hello, lookups: HelloLookups): Promise<HelloDecision> {
  const computer = await lookups.computer(hello.uuid);
  if (!computer) return { action: 'drop', reason: 'unknown-uuid' };
  // In-band devices are provisioned through their agent's OTP request, never by Hello.
  if (computer.inBandManaged) return { action: 'drop', reason: 'in-band-managed' };
  // An unprovision is under way (its Hellos would race the removal), or ended with --no-reprovision.
  if (computer.provisioningHeld) return { action: 'drop', reason: 'provisioning-held' };
  const ours = await lookups.provisioningRootHashes();
  const offered = hello.rootHashes.map((h) => h.hex);
  if (!offered.some((hex) => ours.has(hex))) return { action: 'drop', reason: 'root-not-trusted' };
  return { action: 'provision', uuid: hello.uuid, hostname: computer.fqdn, trustedRootHashes: offered };
}
