import type { JobEvent, PersistenceReport } from '../../domain/job-event.js';
import type { Secret } from '../../domain/secret.js';
import type { WebhookTarget } from './job-notifier.port.js';

export interface PersistenceTarget {
  sessionId: string;
  accessToken: Secret;
}

export type { PersistenceReport };

/** Records one job's events; record() never blocks the stream. */
export interface JobRecorder {
  /** `json` is the event as the client received it, serialized once for every consumer. */
  record(event: JobEvent, json: string): void;
  /** Stores what is recorded so far, giving up (and counting it dropped) when the signal aborts. */
  flush(signal: AbortSignal): Promise<PersistenceReport>;
  /** Flushes the rest and reports the final status; nothing may be recorded after. */
  close(signal: AbortSignal): Promise<PersistenceReport>;
  /** Events recorded and not yet stored. */
  backlog(): number;
}

/** Stores every event of a job in the client's database. */
export interface PersistencePort {
  /** False when the worker has no database to write to, so requests naming one are refused. */
  readonly enabled: boolean;
  /** `webhook`: where the database tells the job's end if the worker dies before it (WORKER_LOST). */
  open(jobId: string, target: PersistenceTarget | undefined, options?: { webhook?: WebhookTarget }): JobRecorder;
}
