import * as v from 'valibot';
import { notifyChunks } from './chunk-feed.js';
import type { Sql } from './sql.js';

/** A job whose worker stopped renewing its lease, and the WORKER_LOST event recorded for it. */
export interface LostJob {
  sessionId: string;
  jobId: string;
  event: Record<string, unknown>;
  webhook: { url: string; secret: string } | null;
}

const webhookColumn = v.nullable(v.object({ url: v.string(), secret: v.string() }));

export const workerLostMessage = 'the worker running this job stopped renewing its lease';

/**
 * One statement, so it is atomic and runs at most once per lease however many replicas sweep:
 * the DELETE locks each expired lease, and a concurrent sweeper that waited on that lock finds
 * the row gone and skips it. A lapsed lease of a job that already ended is only removed. For
 * the others, the WORKER_LOST event takes the seq after the job's last; `on conflict do nothing`
 * gives way to a chunk the worker stored in the same instant (then it was not lost). The
 * session's status becomes `error` if its row names that job (or it has none yet), and readers
 * are notified when the statement commits.
 */
const sweep = `
  with expired as (
    delete from leases where expires_at < now() returning session_id, job_id, webhook),
  lost as (
    select e.session_id, e.job_id, e.webhook,
           coalesce((select max(seq) from chunks c where c.session_id = e.session_id and c.job_id = e.job_id), -1) + 1 as seq,
           (select c.data ->> 'sessionId' from chunks c
             where c.session_id = e.session_id and c.job_id = e.job_id and c.data ->> 'sessionId' is not null
             order by c.seq desc limit 1) as provider_session_id,
           to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ts
      from expired e
     where not exists (select 1 from chunks c
                        where c.session_id = e.session_id and c.job_id = e.job_id and c.type in ('completed', 'error'))),
  recorded as (
    insert into chunks (session_id, job_id, seq, type, data, ts)
    select session_id, job_id, seq, 'error',
           jsonb_build_object('type', 'error', 'seq', seq, 'jobId', job_id, 'timestamp', ts, 'code', 'WORKER_LOST',
                              'message', $1::text, 'retryable', true, 'sessionId', provider_session_id),
           ts
      from lost
    on conflict do nothing
    returning session_id, job_id, data),
  marked as (
    update sessions s set status = 'error', updated_at = now()
      from recorded r where s.id = r.session_id and s.job_id = r.job_id),
  added as (
    insert into sessions (id, status, job_id)
    select distinct on (session_id) session_id, 'error', job_id from recorded r
     where not exists (select 1 from sessions s where s.id = r.session_id)
    on conflict do nothing)
  select r.session_id, r.job_id, r.data, l.webhook,
         ${notifyChunks('r.session_id', 'r.job_id')} as notified
    from recorded r join lost l using (session_id, job_id)`;

/** Records WORKER_LOST for every job whose lease has lapsed; returns what it recorded. */
export async function sweepExpiredLeases(sql: Sql): Promise<LostJob[]> {
  const { rows } = await sql.query<{ session_id: string; job_id: string; data: Record<string, unknown>; webhook: unknown }>(sweep, [
    workerLostMessage,
  ]);
  return rows.map((row) => ({
    sessionId: row.session_id,
    jobId: row.job_id,
    event: row.data,
    webhook: v.is(webhookColumn, row.webhook) ? row.webhook : null,
  }));
}

/** Sweeps every `intervalMs`, one sweep at a time; stop() waits for a sweep under way. */
export class LeaseSweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly intervalMs: number,
    private readonly onLost: (lost: LostJob) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.#timer = setInterval(() => this.#tick(), this.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** A tick while a sweep is still under way is skipped: sweeps never pile up behind a slow database. */
  #tick(): void {
    this.#running ??= sweepExpiredLeases(this.sql)
      .then((lost) => lost.forEach(this.onLost), this.onError)
      .finally(() => (this.#running = undefined));
  }
}
