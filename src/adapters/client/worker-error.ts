import type { ErrorCode } from '../../domain/errors.js';

/**
 * A refusal from the worker or the DB API (4xx/5xx with the API's error body), no answer at all
 * (UNREACHABLE), events a server no longer keeps (EVENTS_GONE), or a stream that ended before
 * the job's verdict and could not be resumed from any source (WORKER_LOST: the job's end is unknown).
 */
export class WorkerError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'UNREACHABLE' | 'WORKER_LOST' | 'EVENTS_GONE',
    message: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
    this.name = 'WorkerError';
  }
}
