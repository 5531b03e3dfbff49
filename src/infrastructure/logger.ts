import pino, { type Logger } from 'pino';
import type { Redactor } from '../domain/redactor.js';

/**
 * JSON lines on stdout. Every line passes through the redactor, so a secret that slips into
 * an error's message or stack is masked before it is written.
 */
export function createLogger(level: string, redactor: Redactor, destination = pino.destination({ fd: 1, sync: true })): Logger {
  return pino(
    {
      level,
      base: { service: 'unified-worker' },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: (line) => redactor.json(line) },
    },
    destination,
  );
}
