import type { ErrorCode } from '../../domain/errors.js';

/**
 * A refusal from the worker before any stream (4xx/5xx with the API's error body), no answer at
 * all (UNREACHABLE), or a stream that ended before the job's verdict (WORKER_LOST: the worker
 * or the connection died; the job's end is unknown).
 */
export class WorkerError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'UNREACHABLE' | 'WORKER_LOST',
    message: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
    this.name = 'WorkerError';
  }
}
