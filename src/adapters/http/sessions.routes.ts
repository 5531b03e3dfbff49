import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import type { JobRegistry } from '../../application/job-registry.js';
import type { SessionStorePort } from '../../application/ports/session-store.port.js';
import { DomainError } from '../../domain/errors.js';
import { errorResponse } from './error-response.js';

export interface SessionRoutesDeps {
  sessions: SessionStorePort;
  jobs: JobRegistry;
  workerId: string;
}

const sessionIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

const notHere = (id: string, workerId: string) =>
  new DomainError(
    'SESSION_NOT_FOUND',
    `worker ${workerId} keeps no session ${id}: a session saved with a database is read and erased through the DB API (GET and DELETE /sessions/{sessionId})`,
  );

/**
 * GET and DELETE /sessions/{id}: the sessions this worker keeps itself (jobs without a
 * database), so a client can see what is kept and erase it: transcript, uncommitted work and
 * the events of the session's jobs this worker still holds.
 */
export function registerSessionRoutes(app: Hono<{ Bindings: HttpBindings }>, { sessions, jobs, workerId }: SessionRoutesDeps): void {
  app.get('/sessions/:sessionId', async (c) => {
    const id = c.req.param('sessionId');
    const snapshot = sessionIdPattern.test(id) ? await sessions.load(id, undefined, c.req.raw.signal) : undefined;
    if (!snapshot) return errorResponse(c, notHere(id, workerId));
    const { session, artifacts, savedAt, work } = snapshot;
    return c.json({
      sessionId: session.providerSessionId,
      provider: session.provider,
      ...(session.branch && { branch: session.branch }),
      savedAt: new Date(savedAt).toISOString(),
      artifacts: artifacts.map((artifact) => ({ name: artifact.name, chars: artifact.content.length })),
      ...(work && { work: { baseCommit: work.baseCommit, bytes: work.bytes } }),
    });
  });

  app.delete('/sessions/:sessionId', async (c) => {
    const id = c.req.param('sessionId');
    if (!sessionIdPattern.test(id)) return errorResponse(c, notHere(id, workerId));
    const erased = await sessions.erase(id, undefined, c.req.raw.signal);
    const forgotten = await jobs.forgetSession(id);
    return erased || forgotten > 0 ? c.body(null, 204) : errorResponse(c, notHere(id, workerId));
  });
}
