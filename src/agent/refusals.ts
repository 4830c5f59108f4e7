// Why the in-band agent stops, as documented exit codes (`amtprov agent --help`, README).
// Each refusal carries one sentence an operator can act on; none ever holds the OTP or its hash.
export const AGENT_EXIT = {
  ok: 0,
  /** Anything unforeseen (a bug, or a broken host interface answer). */
  internalError: 1,
  badArguments: 2,
  noHeciDriver: 3,
  rootNotTrusted: 4,
  alreadyProvisioned: 5,
  siteUnreachable: 6,
  credentialsRejected: 7,
  /** The site answered but refused the request (400, 409, 413...). */
  siteRefused: 8,
  /** The firmware refused a host interface command (PT_STATUS other than "already provisioned"). */
  firmwareRefused: 9,
} as const;

export type AgentExitCode = (typeof AGENT_EXIT)[keyof typeof AGENT_EXIT];

export class AgentRefusal extends Error {
  constructor(
    readonly exitCode: AgentExitCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AgentRefusal';
  }
}
