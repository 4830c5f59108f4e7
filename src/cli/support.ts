// Small helpers the long-running commands share.

export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const match = /^([^:]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 0 || port > 65535) throw new Error(`${flag} must be host:port, got "${value}"`);
  return { host: match[1], port };
}

/**
 * Resolves with the signal's name on the first SIGINT or SIGTERM. Later ones are ignored
 * (with a note) so that a second Ctrl-C, or npm forwarding the signal it got too, cannot
 * kill the process halfway through stopping what it started.
 */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        process.stderr.write(`${signal}: already stopping (SIGKILL would leave child processes behind)\n`);
        return;
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
