import { Hono } from 'hono';
import * as v from 'valibot';
import { chunksChannel } from './chunk-feed.js';
import { problem } from './problem.js';
import { idSchema, statusBody } from './request-schemas.js';
import type { Sql } from './sql.js';

const iso = (time: Date | string): string => new Date(time).toISOString();

/** PATCH, GET and DELETE /sessions/{id}: a session's status, what is known of it, and erasing it. */
export function sessionsRoutes(sql: Sql): Hono {
  const app = new Hono();

  app.patch('/sessions/:id', async (c) => {
    const session = v.safeParse(idSchema, c.req.param('id'));
    const body = v.safeParse(statusBody, await c.req.json().catch(() => undefined));
    if (!session.success || !body.success) return problem(c, 400, 'invalid status');
    // A job that ended needs its lease no longer: released in the same statement.
    await sql.query(
      `with released as (delete from leases where session_id = $1 and job_id = $3 and $2 <> 'running')
       insert into sessions (id, status, job_id) values ($1, $2, $3)
       on conflict (id) do update set status = excluded.status, job_id = excluded.job_id, updated_at = now()`,
      [session.output, body.output.status, body.output.jobId],
    );
    return c.json({ id: session.output, status: body.output.status, jobId: body.output.jobId });
  });

  app.get('/sessions/:id', async (c) => {
    const id = c.req.param('id');
    const [status, jobs, snapshot, lease] = await Promise.all([
      sql.query<{ status: string; job_id: string; updated_at: Date | string }>('select status, job_id, updated_at from sessions where id = $1', [id]),
      sql.query<{ job_id: string; events: number; last_seq: number; ended: boolean }>(
        `select job_id, count(*)::int as events, max(seq) as last_seq, bool_or(type in ('completed', 'error')) as ended
           from chunks where session_id = $1 group by job_id order by min(received)`,
        [id],
      ),
      sql.query<{ found: boolean }>('select exists (select 1 from snapshots where session_id = $1) as found', [id]),
      sql.query<{ job_id: string; expires_at: Date | string }>(
        'select job_id, expires_at from leases where session_id = $1 order by expires_at desc limit 1',
        [id],
      ),
    ]);
    const row = status.rows[0];
    const held = lease.rows[0];
    const hasSnapshot = snapshot.rows[0]?.found ?? false;
    if (!row && jobs.rows.length === 0 && !hasSnapshot && !held) return problem(c, 404, 'no such session');
    return c.json({
      id,
      status: row?.status ?? null,
      jobId: row?.job_id ?? null,
      updatedAt: row ? iso(row.updated_at) : null,
      jobs: jobs.rows.map((job) => ({ jobId: job.job_id, events: job.events, lastSeq: job.last_seq, ended: job.ended })),
      snapshot: hasSnapshot,
      ...(held ? { lease: { jobId: held.job_id, expiresAt: iso(held.expires_at) } } : {}),
    });
  });

  app.delete('/sessions/:id', async (c) => {
    const id = c.req.param('id');
    // One statement: a concurrent writer sees the session whole or gone, never half erased.
    const { rows } = await sql.query<{ erased: number }>(
      `with c as (delete from chunks where session_id = $1 returning 1),
            s as (delete from snapshots where session_id = $1 returning 1),
            r as (delete from sessions where id = $1 returning 1),
            l as (delete from leases where session_id = $1 returning 1)
       select ((select count(*) from c) + (select count(*) from s) + (select count(*) from r) + (select count(*) from l))::int as erased`,
      [id],
    );
    if (!rows[0]?.erased) return problem(c, 404, 'no such session');
    // Readers following the session's jobs end their streams.
    await sql.query(`select pg_notify('${chunksChannel}', json_build_object('sessionId', $1::text, 'erased', true)::text)`, [id]);
    return c.body(null, 204);
  });

  return app;
}
