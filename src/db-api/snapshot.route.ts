import { Hono } from 'hono';
import * as v from 'valibot';
import { problem } from './problem.js';
import { idSchema, snapshotBody } from './request-schemas.js';
import type { Sql } from './sql.js';

/** PUT and GET /sessions/{id}/snapshot: what resuming the session needs, on any replica. */
export function snapshotRoutes(sql: Sql): Hono {
  const app = new Hono();

  app.put('/sessions/:id/snapshot', async (c) => {
    const session = v.safeParse(idSchema, c.req.param('id'));
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
