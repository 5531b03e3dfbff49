import type { ErrorCode } from '../../domain/errors.js';

/** A refusal from the worker before any stream (4xx/5xx with the API's error body), or no answer at all. */
export class WorkerError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'UNREACHABLE',
    message: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
    this.name = 'WorkerError';
  }
}
