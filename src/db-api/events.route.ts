import { Hono } from 'hono';
import * as v from 'valibot';
import type { ChunkFeed } from './chunk-feed.js';
import { eventStream, type EventStreamTiming } from './event-stream.js';
import { problem } from './problem.js';
import { idSchema, seqText } from './request-schemas.js';
import type { Sql } from './sql.js';

/**
 * The job to follow, and the seq of its terminal event if it has one. Without a jobId: the job
 * the session's row or a lease names while it has stored nothing yet (it is the one starting),
 * otherwise the job whose first chunk arrived last.
 */
const resolveJob = `
  with known as (
    select job_id, min(received) as first from chunks where session_id = $1 group by job_id
    union all select job_id, null from sessions where id = $1
    union all select job_id, null from leases where session_id = $1),
  job as (
    select job_id from known where $2::text is null or job_id = $2::text
     group by job_id order by min(first) desc nulls first limit 1)
  select (select job_id from job) as job_id,
         exists (select 1 from known) as session_known,
         (select min(seq) from chunks where session_id = $1 and job_id = (select job_id from job) and type in ('completed', 'error')) as terminal_seq`;

/** GET /sessions/{id}/events: one job's events as Server-Sent Events, replayed and then followed. */
export function eventsRoute(sql: Sql, feed: ChunkFeed, timing: EventStreamTiming): Hono {
  const app = new Hono();

  app.get('/sessions/:id/events', async (c) => {
    const session = v.safeParse(idSchema, c.req.param('id'));
    if (!session.success) return problem(c, 400, 'id: not a session id');
    const jobParam = c.req.query('jobId');
    const job = jobParam === undefined ? undefined : v.safeParse(idSchema, jobParam);
    if (job && !job.success) return problem(c, 400, 'jobId: not a job id');
    // An EventSource reconnects to the same URL with Last-Event-ID: the header is the later word.
    const header = c.req.header('last-event-id') || undefined;
    const lastEventId = header === undefined ? undefined : v.safeParse(seqText, header);
    if (lastEventId && !lastEventId.success) return problem(c, 400, 'Last-Event-ID: must be a non-negative integer');
    const afterParam = c.req.query('after');
    const afterQuery = afterParam === undefined ? undefined : v.safeParse(seqText, afterParam);
    if (afterQuery && !afterQuery.success) return problem(c, 400, 'after: must be a non-negative integer');
    const after = lastEventId?.output ?? afterQuery?.output ?? -1;

    const { rows } = await sql.query<{ job_id: string | null; session_known: boolean; terminal_seq: number | null }>(resolveJob, [
      session.output,
      job?.output ?? null,
    ]);
    const found = rows[0];
    if (!found?.session_known) return problem(c, 404, 'no such session');
    if (found.job_id === null) return problem(c, 404, 'no such job');
    // EventSource clients stop reconnecting on 204: nothing will ever follow this seq.
    if (found.terminal_seq !== null && after >= found.terminal_seq) return c.body(null, 204);

    const body = eventStream({ sql, feed, sessionId: session.output, jobId: found.job_id, after }, timing);
    return new Response(body, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
    });
  });

  return app;
}
