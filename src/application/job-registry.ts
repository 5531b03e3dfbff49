import type { DomainError } from '../domain/errors.js';
import type { Job, JobStatus } from '../domain/job.js';
import type { JobEvent, JobStage } from '../domain/job-event.js';
import type { JobEventLog } from './ports/event-log.port.js';

export interface JobRegistrySettings {
  /** How long a long-running worker keeps an ended job's events. */
  retentionMs: number;
  /** The most ended jobs kept at once; the oldest go first. */
  maxRetained: number;
}

/** What GET /jobs/{id} tells: where the job is, and its verdict once there. */
export interface JobState {
  jobId: string;
  provider: string;
  status: JobStatus;
  stage?: JobStage;
  lastSeq: number;
  startedAt: number;
  endedAt?: number;
  sessionId?: string;
  /** The DB API session the job's events are stored under, if it named one. */
  databaseSessionId?: string;
  readers: number;
  terminal?: JobEvent;
}

/**
 * One job as its readers see it: its events (the log) and what they tell of its progress. The
 * job's own stream writes every event here; readers follow the log at their own pace.
 */
export class JobRecord {
  #stage: JobStage | undefined;
  #sessionId: string | undefined;
  #terminal: JobEvent | undefined;
  #endedAt: number | undefined;
  #readers = 0;
  /** A reader received the terminal event. */
  #delivered = false;
  /** Its retention has started: the registry drops it after a while. */
  retained = false;

  constructor(
    private readonly job: Job,
    readonly log: JobEventLog,
    private readonly abort: (reason: DomainError) => void,
    readonly databaseSessionId: string | undefined,
    /** Its client may leave and come back for the verdict (onDisconnect: continue). */
    private readonly detached: boolean,
    private readonly changed: () => void,
  ) {}

  get jobId(): string {
    return this.job.id;
  }

  get ended(): boolean {
    return this.#terminal !== undefined;
  }

  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** Called with every event of the job, in order; a promise when the log must be waited for. */
  record(event: JobEvent, json: string): Promise<void> | undefined {
    const kept = this.log.append(event.seq, event.type, json);
    switch (event.type) {
      case 'message':
        this.#stage = event.stage;
        break;
      case 'assistant_message':
        if (event.sessionId) this.#sessionId = event.sessionId;
        break;
      case 'completed':
      case 'error':
        this.#terminal = event;
        this.#endedAt = Date.parse(event.timestamp);
        if (event.sessionId) this.#sessionId = event.sessionId;
        this.log.end();
        this.changed();
        break;
      default:
        break;
    }
    return kept;
  }

  /** Cancels the job; false when it has already ended. */
  cancel(reason: DomainError): boolean {
    if (this.ended || this.job.isFinished) return false;
    this.abort(reason);
    return true;
  }

  /** A reader joins; the returned function says whether it received the terminal event, as it leaves. */
  attach(): (delivered: boolean) => void {
    this.#readers += 1;
    let left = false;
    return (delivered) => {
      if (left) return;
      left = true;
      this.#readers -= 1;
      if (delivered) this.#delivered = true;
      this.changed();
    };
  }

  /** The job's own response handed its verdict to the client. */
  delivered(): void {
    this.#delivered = true;
    this.changed();
  }

  /**
   * Nobody is still reading, and the verdict reached a reader or nobody is owed it: a client
   * that did not detach took its job's end with it when it left.
   */
  get settled(): boolean {
    return this.ended && this.#readers === 0 && (this.#delivered || !this.detached);
  }

  state(): JobState {
    const { id, provider, startedAt, status } = this.job.snapshot();
    return {
      jobId: id,
      provider,
      status,
      ...(this.#stage && { stage: this.#stage }),
      lastSeq: this.log.lastSeq,
      startedAt,
      ...(this.#endedAt !== undefined && { endedAt: this.#endedAt }),
      ...(this.#sessionId && { sessionId: this.#sessionId }),
      ...(this.databaseSessionId && { databaseSessionId: this.databaseSessionId }),
      readers: this.#readers,
      ...(this.#terminal && { terminal: this.#terminal }),
    };
  }
}

/** A job this worker no longer keeps: where its events may still be read. */
export interface ForgottenJob {
  databaseSessionId?: string;
}

const forgottenKept = 10_000;

/**
 * The jobs this worker runs and has run, by id: the running one, and ended ones for a
 * retention time (a one-job worker keeps its one job until it exits).
 */
export class JobRegistry {
  #jobs = new Map<string, JobRecord>();
  #forgotten = new Map<string, ForgottenJob>();
  #listeners: Array<() => void> = [];

  constructor(private readonly settings: JobRegistrySettings) {}

  open(job: Job, log: JobEventLog, abort: (reason: DomainError) => void, options: { databaseSessionId?: string; detached: boolean }): JobRecord {
    const record = new JobRecord(job, log, abort, options.databaseSessionId, options.detached, () => this.#changed(record));
    this.#jobs.set(job.id, record);
    return record;
  }

  get(jobId: string): JobRecord | undefined {
    return this.#jobs.get(jobId);
  }

  /** Set when the job ran here but its events are no longer kept. */
  forgotten(jobId: string): ForgottenJob | undefined {
    return this.#forgotten.get(jobId);
  }

  /** Forgets the ended jobs of an assistant session (the client erased it). */
  async forgetSession(sessionId: string): Promise<number> {
    const ended = [...this.#jobs.values()].filter((record) => record.ended && record.sessionId === sessionId);
    await Promise.all(ended.map((record) => this.#forget(record)));
    return ended.length;
  }

  /**
   * Resolves once every ended job's verdict has reached a reader and nobody reads any more, or
   * after waitMs: a one-job worker lingers so that a client that lost the stream can read the end.
   */
  settled(waitMs: number): Promise<void> {
    const done = (): boolean => [...this.#jobs.values()].every((record) => !record.ended || record.settled);
    if (waitMs <= 0 || done()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(finish, waitMs);
      const check = (): void => {
        if (done()) finish();
      };
      const listeners = this.#listeners;
      function finish(): void {
        clearTimeout(timer);
        const index = listeners.indexOf(check);
        if (index >= 0) listeners.splice(index, 1);
        resolve();
      }
      this.#listeners.push(check);
    });
  }

  /** Frees every log (at exit). */
  async clear(): Promise<void> {
    await Promise.all([...this.#jobs.values()].map((record) => this.#forget(record)));
  }

  #changed(record: JobRecord): void {
    if (record.ended && !record.retained) this.#retain(record);
    for (const listener of [...this.#listeners]) listener();
  }

  #retain(record: JobRecord): void {
    record.retained = true;
    setTimeout(() => void this.#forget(record), this.settings.retentionMs).unref();
    const ended = [...this.#jobs.values()].filter((each) => each.ended);
    for (const old of ended.slice(0, Math.max(0, ended.length - this.settings.maxRetained))) void this.#forget(old);
  }

  async #forget(record: JobRecord): Promise<void> {
    if (this.#jobs.get(record.jobId) !== record) return;
    this.#jobs.delete(record.jobId);
    this.#forgotten.set(record.jobId, record.databaseSessionId ? { databaseSessionId: record.databaseSessionId } : {});
    if (this.#forgotten.size > forgottenKept) this.#forgotten.delete(this.#forgotten.keys().next().value!);
    await record.log.discard();
  }
}
