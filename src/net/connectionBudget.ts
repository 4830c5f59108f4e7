// Who may hold a server socket open (hello listener; site API before a client proves it is an
// agent). A Hello is one short write and a TLS handshake a few, so a socket that stays
// open is either slow or hostile; neither may lock real devices out. Caps per address and
// overall; when a cap is reached the connection that has been silent longest makes room
// (from that address first, else from anyone), so a newcomer always gets in and a trickling
// peer only ever displaces its own or other idle sockets.

export interface ConnectionLimits {
  /** Open connections one address may hold; a real device holds one. */
  perAddress: number;
  /** Open connections in all. */
  total: number;
}

export interface TrackedConnection {
  readonly peer: string;
  /** Last time bytes arrived (or the accept), ms. */
  lastActivity: number;
  /** Closes the socket, counting it under `reason`. */
  evict(reason: EvictionReason): void;
}

export type EvictionReason = 'evicted:per-address' | 'evicted:total';

export class ConnectionBudget {
  private readonly open = new Set<TrackedConnection>();
  private readonly byPeer = new Map<string, Set<TrackedConnection>>();

  constructor(private readonly limits: ConnectionLimits) {}

  get size(): number {
    return this.open.size;
  }

  /** Makes room for one more connection from `peer` (evicting the idlest where a cap is full), then tracks it. */
  admit(connection: TrackedConnection): void {
    const own = this.byPeer.get(connection.peer);
    if (own && own.size >= this.limits.perAddress) idlest(own)?.evict('evicted:per-address');
    if (this.open.size >= this.limits.total) idlest(this.open)?.evict('evicted:total');
    this.open.add(connection);
    const set = this.byPeer.get(connection.peer) ?? new Set<TrackedConnection>();
    set.add(connection);
    this.byPeer.set(connection.peer, set);
  }

  /** Forgets a connection (closed for any reason). Safe to call more than once. */
  release(connection: TrackedConnection): void {
    if (!this.open.delete(connection)) return;
    const set = this.byPeer.get(connection.peer);
    set?.delete(connection);
    if (set?.size === 0) this.byPeer.delete(connection.peer);
  }
}

function idlest(connections: Iterable<TrackedConnection>): TrackedConnection | undefined {
  let oldest: TrackedConnection | undefined;
  for (const c of connections) if (!oldest || c.lastActivity < oldest.lastActivity) oldest = c;
  return oldest;
}
