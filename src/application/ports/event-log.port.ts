/** Keeps each job's events so that a reader who joins late, or lost the stream, can have them. */
export interface EventLogPort {
  open(jobId: string): JobEventLog;
}

/** A run of consecutive events as SSE frames (`id`, `event`, `data`), ready to write. */
export interface LoggedFrames {
  /** The seq of the first and the last event in `frames`. */
  from: number;
  to: number;
  frames: string;
}

/** What a read finds: the next events, nothing yet, or events the log no longer keeps. */
export type LogRead =
  | { kind: 'frames'; run: LoggedFrames }
  | { kind: 'none' }
  | { kind: 'gone'; firstKept: number };

/** One job's events, bounded in memory and on disk. */
export interface JobEventLog {
  /**
   * Keeps one event; never throws. Returns a promise when the log cannot take more yet (its file
   * is behind), resolved once it can: the job then waits, as it does for a slow client.
   */
  append(seq: number, type: string, json: string): Promise<void> | undefined;
  /** No event follows; waiting readers wake. */
  end(): void;
  /** Events after `after`, as many as fit in about `maxChars`; at least one when there is one. */
  read(after: number, maxChars: number): Promise<LogRead>;
  /** Resolves once an event after `seq` is there, the log has ended, or the signal aborts. */
  waitAfter(seq: number, signal: AbortSignal): Promise<void>;
  /** The last event's seq, -1 before the first. */
  readonly lastSeq: number;
  readonly ended: boolean;
  /** Frees the memory and the file; reads then find every event gone. */
  discard(): Promise<void>;
}
