import type { JobEvent } from '../../domain/job-event.js';

/** Delivers a job's events to its client in order; resolves once the client can take more. */
export interface EventSinkPort {
  send(event: JobEvent): Promise<void>;
}
