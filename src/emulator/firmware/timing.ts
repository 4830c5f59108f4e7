// How long the device takes to answer, as real firmware does: per-request latency, the TLS
// handshake, RSA key generation, CommitChanges and the TLS restart after its settings change.
// Delays are timers, never CPU: the emulator shares the machine with the server under test.
// Figures and their sources: docs/amt-protocol.md, "Real-firmware timing". Off ('instant') by
// default, so tests keep their speed; the `latencyMs` fault adds on top of `requestMs`.

export interface TimingProfile {
  name: TimingProfileName;
  /** Before each HTTP response (WS-Man / SOAP round trip), on top of the latencyMs fault. */
  requestMs: number;
  /** Before the TLS handshake on 16993 starts (the ME's RSA private-key operation). */
  tlsHandshakeMs: number;
  /** GenerateKeyPair (WS-Man and EOI), by key length. */
  keyGenerationMs: Readonly<Record<number, number>>;
  /** CommitChanges, before the answer (the setup write). */
  commitMs: number;
  /** After the TLS identity changes (commit, SetTLSKeyAndCertificate, unprovision): new handshakes wait this long. */
  tlsApplyMs: number;
}

export const TIMING_PROFILE_NAMES = ['instant', 'real-firmware'] as const;
export type TimingProfileName = (typeof TIMING_PROFILE_NAMES)[number];

export const TIMING_PROFILES: Readonly<Record<TimingProfileName, TimingProfile>> = {
  instant: { name: 'instant', requestMs: 0, tlsHandshakeMs: 0, keyGenerationMs: {}, commitMs: 0, tlsApplyMs: 0 },
  'real-firmware': {
    name: 'real-firmware',
    requestMs: 150,
    tlsHandshakeMs: 300,
    keyGenerationMs: { 2048: 5_000, 3072: 10_000 },
    commitMs: 1_000,
    tlsApplyMs: 3_000,
  },
};

/** The profile of that name; a clear error for any other. */
export function timingProfile(name: string): TimingProfile {
  if (!(TIMING_PROFILE_NAMES as readonly string[]).includes(name)) {
    throw new Error(`timing profile must be one of ${TIMING_PROFILE_NAMES.join(', ')}, got "${name}"`);
  }
  return TIMING_PROFILES[name as TimingProfileName];
}

/** Waits ms (nothing for 0); the device's own delay, counted in its counters by the caller. */
export function firmwareDelay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
