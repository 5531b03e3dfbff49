import type { JobEvent } from '../../domain/job-event.js';

/** Delivers a job's events to its client in order; resolves once the client can take more. */
export interface EventSinkPort {
  /** `json` is the event already serialized (once, for every consumer), secrets masked. */
  send(event: JobEvent, json: string): Promise<void>;
}
