// WS-Enumeration contexts per device: Enumerate snapshots the instances, Pull hands them out
// MaxElements at a time until EndOfSequence, Release drops the context. Contexts live in RAM
// (a power cycle loses them, as on a device) and expire; the limits are the emulator's choice.
import crypto from 'node:crypto';
import type { Firmware } from '../../firmware/firmware';

export const ENUMERATION_CONTEXT_TTL_MS = 60_000;
export const MAX_OPEN_ENUMERATIONS = 16;

interface OpenEnumeration {
  resourceUri: string;
  /** Serialized items still to hand out. */
  items: string[];
  expiresAt: number;
}

export interface PullResult {
  items: string[];
  endOfSequence: boolean;
}

export class EnumerationContexts {
  private readonly byDevice = new WeakMap<Firmware, Map<string, OpenEnumeration>>();

  private contextsOf(fw: Firmware): Map<string, OpenEnumeration> {
    let contexts = this.byDevice.get(fw);
    if (!contexts) {
      contexts = new Map();
      this.byDevice.set(fw, contexts);
    }
    const now = Date.now();
    for (const [id, open] of contexts) if (open.expiresAt <= now) contexts.delete(id);
    return contexts;
  }

  /** Opens a context over `items`; the oldest context is dropped when too many are open. */
  open(fw: Firmware, resourceUri: string, items: string[]): string {
    const contexts = this.contextsOf(fw);
    if (contexts.size >= MAX_OPEN_ENUMERATIONS) contexts.delete(contexts.keys().next().value as string);
    const id = `uuid:${crypto.randomUUID()}`;
    contexts.set(id, { resourceUri, items: [...items], expiresAt: Date.now() + ENUMERATION_CONTEXT_TTL_MS });
    return id;
  }

  /** Up to `max` items; null when the context is unknown, expired or belongs to another class. */
  pull(fw: Firmware, id: string, resourceUri: string, max: number): PullResult | null {
    const contexts = this.contextsOf(fw);
    const open = contexts.get(id);
    if (!open || open.resourceUri !== resourceUri) return null;
    const items = open.items.splice(0, max);
    const endOfSequence = open.items.length === 0;
    if (endOfSequence) contexts.delete(id);
    else open.expiresAt = Date.now() + ENUMERATION_CONTEXT_TTL_MS;
    return { items, endOfSequence };
  }

  release(fw: Firmware, id: string, resourceUri: string): boolean {
    const contexts = this.contextsOf(fw);
    if (contexts.get(id)?.resourceUri !== resourceUri) return false;
    return contexts.delete(id);
  }
}
