import { Hono } from 'hono';
import * as v from 'valibot';
import { problem } from './problem.js';
import { describeIssue, idSchema, leaseBody } from './request-schemas.js';
import type { Sql } from './sql.js';

/**
 * PUT and DELETE /sessions/{id}/lease: a worker holds a lease on the job it runs and renews it;
 * once it lapses the lease sweeper records the job as lost. Expiry is computed by the
 * database's clock, so replicas whose clocks differ agree on it.
 */
export function leaseRoutes(sql: Sql): Hono {
  const app = new Hono();

  app.put('/sessions/:id/lease', async (c) => {
    const session = v.safeParse(idSchema, c.req.param('id'));
    if (!session.success) return problem(c, 400, 'id: not a session id');
    const body = v.safeParse(leaseBody, await c.req.json().catch(() => undefined));
    if (!body.success) return problem(c, 400, `invalid lease: ${describeIssue(body.issues)}`);
    const { jobId, ttlMs, webhook } = body.output;
    // A job already ended (its worker finished, or was declared lost) cannot be leased again.
    const { rows } = await sql.query<{ expires_at: Date | string }>(
      `insert into leases (session_id, job_id, expires_at, webhook)
       select $1::text, $2::text, now() + $3::integer * interval '1 millisecond', $4::jsonb
        where not exists (select 1 from chunks where session_id = $1 and job_id = $2 and type in ('completed', 'error'))
       on conflict (session_id, job_id) do update set expires_at = excluded.expires_at, webhook = excluded.webhook
       returning expires_at`,
      [session.output, jobId, ttlMs, webhook ? JSON.stringify(webhook) : null],
    );
    const lease = rows[0];
    if (!lease) return problem(c, 409, 'the job has ended');
    return c.json({ jobId, expiresAt: new Date(lease.expires_at).toISOString() });
  });

  app.delete('/sessions/:id/lease', async (c) => {
    const session = v.safeParse(idSchema, c.req.param('id'));
    if (!session.success) return problem(c, 400, 'id: not a session id');
    const job = v.safeParse(idSchema, c.req.query('jobId'));
    if (!job.success) return problem(c, 400, 'jobId: required, a job id');
    const { rows } = await sql.query('delete from leases where session_id = $1 and job_id = $2 returning 1', [session.output, job.output]);
    return rows.length > 0 ? c.body(null, 204) : problem(c, 404, 'no lease');
  });

  return app;
}
