import type { ExecuteRequestBody } from '../../domain/execute-request.js';
import type { JobStatus } from '../../domain/job.js';
import type { JobEvent, JobStage } from '../../domain/job-event.js';
import { dbApiSource, followJob, sseSource, type DbApiSource, type JobEventSource, type ReattachOptions, type ReattachTiming } from './reattach.js';
import type { RetryOptions } from './retry.js';
import { send } from './send.js';
import { WorkerError } from './worker-error.js';

export interface WorkerClientOptions {
  /** The worker, or the load balancer in front of a pool of them. */
  baseUrl: string;
  apiToken?: string;
  retry?: RetryOptions;
}

export interface HealthReport {
  status: 'ok';
  version: string;
  uptimeS: number;
  providers: Array<{ id: string; available: boolean; version?: string }>;
}

export type StatusReport = { status: 'idle' } | { status: 'busy'; jobId?: string; provider?: string; startedAt?: string };

/** What `GET /jobs/{jobId}` tells of a job: where it is, and its verdict once it has one. */
export interface JobReport {
  jobId: string;
  provider: string;
  status: JobStatus;
  stage?: JobStage;
  /** The seq of its last event so far, -1 before the first. */
  lastSeq: number;
  /** ISO 8601. */
  startedAt: string;
  endedAt?: string;
  /** The assistant's session once known: resume it with resumeSessionId. */
  sessionId?: string;
  /** The request's database.sessionId, where the DB API keeps the job's events. */
  databaseSessionId?: string;
  /** Streams following the job now. */
  readers: number;
  /** Its terminal event (`completed` or `error`), once it has ended. */
  terminal?: JobEvent;
}

export interface ExecuteOptions {
  signal?: AbortSignal;
  /** Resuming a stream that breaks mid-job; `false` ends it with WORKER_LOST at once. */
  reattach?: ReattachOptions | false;
}

export interface AttachOptions extends ReattachTiming {
  /** Only the events after this seq; default: all of them. */
  after?: number;
  signal?: AbortSignal;
  /** Read from the DB API when the worker answers 404/410 or cannot be reached. */
  dbApi?: DbApiSource;
}

/**
 * A typed client of the worker's HTTP API. `execute` streams the job's events; a busy or
 * restarting worker (429, 502, 503, a refused connection) is retried until the deadline, but
 * never once the stream has started: a job runs at most once. A stream that breaks mid-job is
 * resumed from the worker's, then the DB API's, copy of its events (see `followJob`).
 */
export class WorkerClient {
  readonly #baseUrl: string;

  constructor(private readonly options: WorkerClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /**
   * The job's events as they come, each once, to its terminal event. Aborting `signal` closes
   * the stream (the worker cancels the job unless it was sent with `onDisconnect: 'continue'`)
   * and is never followed by a reattach.
   */
  async *execute(request: ExecuteRequestBody, { signal, reattach = {} }: ExecuteOptions = {}): AsyncGenerator<JobEvent> {
    const response = await this.#send('/execute', { method: 'POST', body: JSON.stringify(request), signal });
    const sources = (jobId: string): JobEventSource[] => {
      if (reattach === false) return [];
      const { dbApi } = reattach;
      const { database } = request;
      const db = dbApi && database ? [dbApiSource({ baseUrl: dbApi.baseUrl, token: dbApi.token ?? database.accessToken, sessionId: database.sessionId }, jobId, this.#backoff)] : [];
      return [this.#eventsOf(jobId), ...db];
    };
    const cursor = { jobId: response.headers.get('x-job-id') ?? undefined, last: -1 };
    yield* followJob({ first: response, cursor, sources, timing: reattach || {}, backoff: this.#backoff, signal });
  }

  /**
   * A job's events from the worker (or, when given, the DB API), after `after`, to its terminal
   * event, resumed across broken streams like `execute`. Returns at once when nothing follows
   * `after` in an ended job; throws NOT_FOUND or EVENTS_GONE when no source has the events.
   * Leaving early never cancels the job.
   */
  async *attach(jobId: string, { after, signal, dbApi, ...timing }: AttachOptions = {}): AsyncGenerator<JobEvent> {
    if (after !== undefined && !(Number.isSafeInteger(after) && after >= -1)) {
      throw new WorkerError(0, 'VALIDATION_FAILED', 'after must be the seq of an event: an integer, -1 or more', [{ path: 'after', message: 'an integer, -1 or more' }]);
    }
    const sources = () => [this.#eventsOf(jobId), ...(dbApi ? [dbApiSource(dbApi, jobId, this.#backoff)] : [])];
    yield* followJob({ cursor: { jobId, last: after ?? -1 }, sources, timing, backoff: this.#backoff, signal });
  }

  async job(jobId: string, signal?: AbortSignal): Promise<JobReport> {
    return (await this.#send(`/jobs/${encodeURIComponent(jobId)}`, { method: 'GET', signal })).json() as Promise<JobReport>;
  }

  /** Cancels one job by its id; 409 NO_RUNNING_JOB when it has already ended. */
  async cancelJob(jobId: string, signal?: AbortSignal): Promise<{ status: 'cancelling'; jobId: string }> {
    return (await this.#send(`/jobs/${encodeURIComponent(jobId)}/cancel`, { method: 'POST', signal }, false)).json() as Promise<{ status: 'cancelling'; jobId: string }>;
  }

  async health(signal?: AbortSignal): Promise<HealthReport> {
    return (await this.#send('/health', { method: 'GET', signal })).json() as Promise<HealthReport>;
  }

  async status(signal?: AbortSignal): Promise<StatusReport> {
    return (await this.#send('/status', { method: 'GET', signal })).json() as Promise<StatusReport>;
  }

  async cancel(signal?: AbortSignal): Promise<{ status: 'cancelling'; jobId?: string }> {
    return (await this.#send('/cancel', { method: 'POST', signal }, false)).json() as Promise<{ status: 'cancelling'; jobId?: string }>;
  }

  get #backoff(): RetryOptions {
    return this.options.retry ?? {};
  }

  get #auth(): Record<string, string> {
    return this.options.apiToken ? { authorization: `Bearer ${this.options.apiToken}` } : {};
  }

  #eventsOf(jobId: string): JobEventSource {
    return sseSource(`the worker at ${this.#baseUrl}`, `${this.#baseUrl}/jobs/${encodeURIComponent(jobId)}/events`, this.#auth, this.#backoff);
  }

  #send(path: string, init: { method: 'GET' | 'POST'; body?: string; signal?: AbortSignal }, retry = true): Promise<Response> {
    const headers = { ...this.#auth, ...(init.body !== undefined && { 'content-type': 'application/json' }) };
    const retryUntil = retry ? Date.now() + (this.#backoff.deadlineMs ?? 60_000) : undefined;
    return send(`${this.#baseUrl}${path}`, { ...init, headers, target: `the worker at ${this.#baseUrl}`, retryUntil }, this.#backoff);
  }
}
