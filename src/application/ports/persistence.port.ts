import type { JobEvent } from '../../domain/job-event.js';
import type { Secret } from '../../domain/secret.js';

export interface PersistenceTarget {
  sessionId: string;
  accessToken: Secret;
}

export interface PersistenceReport {
  stored: number;
  dropped: number;
}

/** Records one job's events; record() never blocks the stream. */
export interface JobRecorder {
  record(event: JobEvent): void;
  /** Flushes what is buffered, giving up when the signal aborts. */
  close(signal: AbortSignal): Promise<PersistenceReport>;
}

/** Stores every event of a job in the client's database. */
export interface PersistencePort {
  open(jobId: string, target: PersistenceTarget | undefined): JobRecorder;
}
