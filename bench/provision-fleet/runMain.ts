// How a bench script runs: main, then its cleanups newest first (also on Ctrl-C), each
// failure reported without stopping the others; a failing main sets exit code 1.
export type Cleanup = () => Promise<void> | void;

export function runMain(main: () => Promise<void>, cleanups: Cleanup[]): void {
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        console.error(`cleanup: ${(err as Error).message}`);
      }
    }
    cleanups.length = 0;
  };
  process.once('SIGINT', () => { void cleanUp().then(() => process.exit(130)); });
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  }).finally(() => cleanUp());
}
