import type { LoggerPort } from '../application/ports/logger.port.js';

/**
 * SIGTERM or SIGINT starts the shutdown (a drain, where configured); a second one cuts it short
 * and the running job is cancelled with a verdict; a third exits at once.
 */
export function onSignals(logger: LoggerPort, on: { first: (signal: NodeJS.Signals) => void; second: () => void }): void {
  let count = 0;
  const handle = (signal: NodeJS.Signals): void => {
    count += 1;
    if (count === 1) return on.first(signal);
    if (count === 2) {
      logger.warn({ signal }, 'second signal: cancelling the running job');
      return on.second();
    }
    logger.error({ signal }, 'third signal: exiting now');
    process.exit(1);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, handle);
}
