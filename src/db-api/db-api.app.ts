import { Hono, type Context } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { bodyLimit } from 'hono/body-limit';
import * as v from 'valibot';
import type { Sql } from './sql.js';

const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,128}$/));
const chunkSchema = v.object({ seq: v.pipe(v.number(), v.integer(), v.minValue(0)), type: v.string(), data: v.record(v.string(), v.unknown()), timestamp: v.string() });
const chunksBody = v.object({ jobId: id, chunks: v.pipe(v.array(chunkSchema), v.maxLength(10_000)) });
const statusBody = v.object({ status: v.picklist(['running', 'completed', 'error']), jobId: id });
const snapshotBody = v.object({
  session: v.object({ provider: v.string(), providerSessionId: v.string(), branch: v.optional(v.string()) }),
  artifacts: v.array(v.object({ name: v.string(), content: v.string() })),
  savedAt: v.number(),
});

const problem = (c: Context, status: 400 | 404, message: string) => c.json({ error: { message } }, status);

/** The reference DB API (docs/db-api.md) on PostgreSQL. */
export function createDbApiApp(sql: Sql, token: string): Hono {
  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.use('/sessions/*', bearerAuth({ token }), bodyLimit({ maxSize: 64 * 1024 * 1024 }));

  app.post('/sessions/:id/chunks', async (c) => {
    const session = v.safeParse(id, c.req.param('id'));
    const body = v.safeParse(chunksBody, await c.req.json().catch(() => undefined));
    if (!session.success || !body.success) return problem(c, 400, 'invalid chunks');
    // One statement a batch; idempotent on (session, job, seq): a retried batch stores nothing twice.
    await sql.query(
      `insert into chunks (session_id, job_id, seq, type, data, ts)
       select $1, $2, c.seq, c.type, c.data, c.timestamp
         from jsonb_to_recordset($3::jsonb) as c(seq integer, type text, data jsonb, timestamp text)
       on conflict do nothing`,
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

  app.patch('/sessions/:id', async (c) => {
    const session = v.safeParse(id, c.req.param('id'));
    const body = v.safeParse(statusBody, await c.req.json().catch(() => undefined));
    if (!session.success || !body.success) return problem(c, 400, 'invalid status');
    await sql.query(
      `insert into sessions (id, status, job_id) values ($1, $2, $3)
       on conflict (id) do update set status = excluded.status, job_id = excluded.job_id, updated_at = now()`,
      [session.output, body.output.status, body.output.jobId],
    );
    return c.json({ id: session.output, status: body.output.status, jobId: body.output.jobId });
  });

  app.put('/sessions/:id/snapshot', async (c) => {
    const session = v.safeParse(id, c.req.param('id'));
    const body = v.safeParse(snapshotBody, await c.req.json().catch(() => undefined));
    if (!session.success || !body.success) return problem(c, 400, 'invalid snapshot');
    await sql.query(
      `insert into snapshots (session_id, body) values ($1, $2)
       on conflict (session_id) do update set body = excluded.body, updated_at = now()`,
      [session.output, JSON.stringify(body.output)],
    );
    return c.body(null, 204);
  });

  app.get('/sessions/:id/snapshot', async (c) => {
    const { rows } = await sql.query<{ body: unknown }>('select body from snapshots where session_id = $1', [c.req.param('id')]);
    return rows[0] ? c.json(rows[0].body) : problem(c, 404, 'no snapshot');
  });

  return app;
}
