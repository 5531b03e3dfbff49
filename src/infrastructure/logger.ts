import pino, { type Logger } from 'pino';
import type { Redactor } from '../domain/redactor.js';

export interface LoggerOptions {
  /** Fields every line carries, read at each call: the running job's id. */
  context?: () => object;
  destination?: pino.DestinationStream;
}

/**
 * JSON lines on stdout. Every line passes through the redactor, so a secret that slips into
 * an error's message or stack is masked before it is written.
 */
export function createLogger(level: string, redactor: Redactor, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      base: { service: 'unified-worker' },
      ...(options.context && { mixin: options.context }),
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: (line) => redactor.json(line) },
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
