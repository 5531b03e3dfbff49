import { writeSync } from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Redactor } from '../domain/redactor.js';

export interface LoggerOptions {
  /** Fields every line carries, read at each call: the running job's id. */
  context?: () => object;
  destination?: DestinationStream;
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
    new UntilItFails(options.destination ?? pino.destination({ fd: 1, sync: true })),
  );
}

/**
 * Passes lines on until a write fails, then drops them: a log line is never worth a job. Stdout's
 * reader can go away under a running job (a pipe's reader exits: EPIPE; the terminal closes:
 * EIO; a closed descriptor: EBADF), and pino's destination swallows EPIPE alone: any other
 * error was thrown out of the logging call, into the job, its verdict and the release of its slot.
 */
class UntilItFails implements DestinationStream {
  #to: DestinationStream | undefined;

  constructor(to: DestinationStream) {
    this.#to = to;
    // Sonic-boom reports a failed write as an 'error' event, emitted inside write().
    if (isEmitter(to)) to.on('error', (error: unknown) => this.#fail(error));
  }

  write(line: string): void {
    try {
      this.#to?.write(line);
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (!this.#to) return;
    this.#to = undefined;
    const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'an error';
    try {
      // stderr is often the same dead pipe; where it is not (stdout to a file), this says why the log ends.
      writeSync(2, `unified-worker: writing the log failed (${code}); no more log lines are written\n`);
    } catch {
      // Nowhere left to say it.
    }
  }
}

function isEmitter(stream: DestinationStream): stream is DestinationStream & NodeJS.EventEmitter {
  return typeof (stream as Partial<NodeJS.EventEmitter>).on === 'function';
}
