import { Hono } from 'hono';
import * as v from 'valibot';
import { notifyChunks } from './chunk-feed.js';
import { problem } from './problem.js';
import { chunksBody, idSchema } from './request-schemas.js';
import type { Sql } from './sql.js';

/** POST and GET /sessions/{id}/chunks: a job's events, as the worker records them. */
export function chunksRoutes(sql: Sql): Hono {
  const app = new Hono();

  app.post('/sessions/:id/chunks', async (c) => {
    const session = v.safeParse(idSchema, c.req.param('id'));
    const body = v.safeParse(chunksBody, await c.req.json().catch(() => undefined));
    if (!session.success || !body.success) return problem(c, 400, 'invalid chunks');
    // One statement a batch; idempotent on (session, job, seq): a retried batch stores nothing twice.
    // Readers following the job are notified when it commits, and only if it stored something.
    await sql.query(
      `with stored as (
         insert into chunks (session_id, job_id, seq, type, data, ts)
         select $1::text, $2::text, c.seq, c.type, c.data, c.timestamp
           from jsonb_to_recordset($3::jsonb) as c(seq integer, type text, data jsonb, timestamp text)
         on conflict do nothing
         returning 1)
       select ${notifyChunks('$1::text', '$2::text')} where exists (select 1 from stored)`,
      [session.output, body.output.jobId, JSON.stringify(body.output.chunks)],
    );
    return c.json({ received: body.output.chunks.length });
  });

  app.get('/sessions/:id/chunks', async (c) => {
    const { rows } = await sql.query<{ job_id: string; seq: number; type: string; data: unknown; ts: string }>(
      `select c.job_id, c.seq, c.type, c.data, c.ts from chunks c
         join (select job_id, min(received) as first from chunks where session_id = $1 group by job_id) j using (job_id)
        where c.session_id = $1 order by j.first, c.seq`,
      [c.req.param('id')],
    );
    return c.json({ chunks: rows.map((row) => ({ jobId: row.job_id, seq: row.seq, type: row.type, data: row.data, timestamp: row.ts })) });
  });

  return app;
}
