import type { JobEvent } from '../../domain/job-event.js';

/** Delivers a job's events to its client in order. */
export interface EventSinkPort {
  /**
   * `json` is the event already serialized (once, for every consumer), secrets masked. Returns
   * a promise only when the client cannot take more yet, resolved once it can: a stream of
   * hundreds of thousands of events then pays for no promise it does not need.
   */
  send(event: JobEvent, json: string): Promise<void> | undefined;
}
