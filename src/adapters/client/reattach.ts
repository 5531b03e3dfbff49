import { isTerminal, type JobEvent } from '../../domain/job-event.js';
import { sseJobEvents } from './event-stream.js';
import { isRetryableStatus, retryDelay, sleep, type RetryOptions } from './retry.js';
import { send } from './send.js';
import { WorkerError } from './worker-error.js';

/** How long a broken stream is resumed for, and how soon the worker is given up for the DB API. */
export interface ReattachTiming {
  /** Give up once this long has passed without a new event. Default 60 s. */
  deadlineMs?: number;
  /**
   * How long one source may stay unreachable (or, while another source remains, busy) before the
   * next is asked: a process that refuses connections this long is gone. Default 5 s.
   */
  fallbackAfterMs?: number;
}

/** The client's DB API, where a job that named `database` has its events stored. */
export interface DbApiOptions {
  baseUrl: string;
  /** Default: the request's `database.accessToken`. */
  token?: string;
}

/** The DB API and the session to read a job's events from. */
export interface DbApiSource {
  baseUrl: string;
  token: string;
  sessionId: string;
}

export interface ReattachOptions extends ReattachTiming {
  dbApi?: DbApiOptions;
}

/** A place a job's events can be read from, after a given seq. */
export interface JobEventSource {
  /** Named in errors: "the worker at http://…". */
  readonly name: string;
  /** The events after `after` (-1: all) as SSE; undefined when there are none (204). */
  open(after: number, limits: { retryUntil: number; reachUntil: number }, signal?: AbortSignal): Promise<Response | undefined>;
}

/** An SSE endpoint that honours Last-Event-ID: the worker's `/jobs/{id}/events`, the DB API's session events. */
export function sseSource(name: string, url: string, headers: Record<string, string>, backoff: RetryOptions): JobEventSource {
  return {
    name,
    async open(after, limits, signal) {
      const lastEventId: Record<string, string> = after >= 0 ? { 'last-event-id': String(after) } : {};
      const response = await send(url, { method: 'GET', headers: { ...headers, accept: 'text/event-stream', ...lastEventId }, signal, target: name, ...limits }, backoff);
      if (response.status !== 204) return response;
      await response.body?.cancel();
      return undefined;
    },
  };
}

export function dbApiSource(db: DbApiSource, jobId: string, backoff: RetryOptions): JobEventSource {
  const url = `${db.baseUrl.replace(/\/+$/, '')}/sessions/${encodeURIComponent(db.sessionId)}/events?jobId=${encodeURIComponent(jobId)}`;
  return sseSource(`the DB API at ${db.baseUrl}`, url, { authorization: `Bearer ${db.token}` }, backoff);
}

/** Where the reading stands: the job, once known, and the last event given to the caller (-1: none). */
export interface JobCursor {
  jobId: string | undefined;
  last: number;
}

export interface FollowPlan {
  /** The stream already open (POST /execute's); without one, the first source opens it. */
  first?: Response;
  cursor: JobCursor;
  /** In order of preference: the worker, then the DB API. */
  sources: (jobId: string) => JobEventSource[];
  timing: ReattachTiming;
  backoff: RetryOptions;
  signal?: AbortSignal;
}

type StreamEnd = { kind: 'terminal' } | { kind: 'dropped' } | { kind: 'gap'; seq: number };

/**
 * A job's events, each exactly once and in order, up to its terminal event, across broken
 * streams. When a stream breaks, the sources are asked in order with Last-Event-ID = the last
 * event given; one that answers 404/410 (or anything final), stays unreachable, or skips events
 * (a gap) is not asked again and the next is; one that breaks off is asked again first. Events
 * at or before the last are dropped. Never resumed after `signal` aborts. With no source left, or
 * no new event for `deadlineMs`: WORKER_LOST, saying what each source answered; if no stream ever
 * opened (attach), the last source's own refusal (NOT_FOUND, EVENTS_GONE, UNAUTHORIZED, ...).
 */
export async function* followJob(plan: FollowPlan): AsyncGenerator<JobEvent> {
  const { cursor, signal } = plan;
  const lost = (why: string) => new WorkerError(0, 'WORKER_LOST', `the stream ended before the job did (after event ${cursor.last}): ${why}`);
  let opened = plan.first !== undefined;
  if (plan.first) {
    const end = yield* inOrder(plan.first, cursor, signal);
    if (end.kind === 'terminal') return;
  }
  if (signal?.aborted) throw signal.reason;
  if (cursor.jobId === undefined) throw lost('the worker or the connection was lost, and the job id was never received');
  const sources = plan.sources(cursor.jobId);
  const deadlineMs = plan.timing.deadlineMs ?? 60_000;
  const fallbackAfterMs = plan.timing.fallbackAfterMs ?? 5_000;
  const said = new Map<JobEventSource, string>();
  const gone = new Set<JobEventSource>();
  let refusal: WorkerError | undefined;
  let deadline = Date.now() + deadlineMs;
  for (let attempt = 0; ; ) {
    const live = sources.filter((source) => !gone.has(source));
    if (live.length === 0) break;
    const before = cursor.last;
    for (const source of live) {
      if (signal?.aborted) throw signal.reason;
      const reachUntil = Math.min(Date.now() + fallbackAfterMs, deadline);
      let response: Response | undefined;
      try {
        response = await source.open(cursor.last, { retryUntil: live.length > 1 ? reachUntil : deadline, reachUntil }, signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (!(error instanceof WorkerError)) throw error;
        refusal = error;
        said.set(source, error.code === 'UNREACHABLE' ? error.message : `${source.name} answered ${error.status} ${error.code}`);
        // A 502/503 past its limit is a pool saying "in a moment": asked again next round.
        if (!isRetryableStatus(error.status)) gone.add(source);
        continue;
      }
      if (response === undefined) {
        if (!opened) return;
        gone.add(source);
        said.set(source, `${source.name} has nothing after it`);
        continue;
      }
      opened = true;
      const end = yield* inOrder(response, cursor, signal);
      if (end.kind === 'terminal') return;
      if (end.kind === 'gap') {
        gone.add(source);
        const missing = end.seq - 1 > cursor.last + 1 ? `events ${cursor.last + 1} to ${end.seq - 1}` : `event ${cursor.last + 1}`;
        said.set(source, `${source.name} skipped ${missing}`);
        continue;
      }
      said.set(source, `${source.name} broke off`);
      break;
    }
    if (signal?.aborted) throw signal.reason;
    if (cursor.last > before) {
      deadline = Date.now() + deadlineMs;
      attempt = 0;
      continue;
    }
    const delay = retryDelay(attempt++, null, plan.backoff);
    if (Date.now() + delay > deadline) break;
    await sleep(delay, signal);
  }
  if (!opened && refusal) throw refusal;
  throw lost(said.size > 0 ? [...said.values()].join('; ') : 'the worker or the connection was lost');
}

/** The events of one stream after the cursor, in order, moving the cursor; how the stream ended. */
async function* inOrder(response: Response, cursor: JobCursor, signal?: AbortSignal): AsyncGenerator<JobEvent, StreamEnd> {
  for await (const event of sseJobEvents(response, signal)) {
    cursor.jobId ??= event.jobId;
    if (event.seq <= cursor.last) continue;
    if (event.seq > cursor.last + 1) return { kind: 'gap', seq: event.seq };
    cursor.last = event.seq;
    yield event;
    if (isTerminal(event)) return { kind: 'terminal' };
  }
  return { kind: 'dropped' };
}
