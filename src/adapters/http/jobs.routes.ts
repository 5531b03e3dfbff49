import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, Hono } from 'hono';
import type { JobRecord, JobRegistry, JobState } from '../../application/job-registry.js';
import { DomainError } from '../../domain/errors.js';
import { errorResponse, fail } from './error-response.js';
import { followLog } from './log-follower.js';

export interface JobRoutesDeps {
  jobs: JobRegistry;
  workerId: string;
  heartbeatMs?: number;
}

const jobIdPattern = /^[A-Za-z0-9._-]{1,128}$/;
const seqPattern = /^(0|[1-9]\d{0,14})$/;

const iso = (ms: number): string => new Date(ms).toISOString();

function describe(state: JobState) {
  const { startedAt, endedAt, ...rest } = state;
  return { ...rest, startedAt: iso(startedAt), ...(endedAt !== undefined && { endedAt: iso(endedAt) }) };
}

/** Where the events of a job this worker does not hold may be: never on this worker, or gone from it. */
function unknownJob(c: Context, jobs: JobRegistry, jobId: string, workerId: string): Response {
  const forgotten = jobIdPattern.test(jobId) ? jobs.forgotten(jobId) : undefined;
  if (!forgotten) {
    return fail(c, 'NOT_FOUND', `worker ${workerId} has no job ${jobId}: behind a pool, read a job's events from its database (GET /sessions/{sessionId}/events on the DB API)`);
  }
  const where = forgotten.databaseSessionId
    ? `read them from the DB API: GET /sessions/${forgotten.databaseSessionId}/events?jobId=${jobId}`
    : 'the job named no database, so they are not stored anywhere else';
  return errorResponse(c, new DomainError('EVENTS_GONE', `this worker no longer keeps the events of job ${jobId}; ${where}`));
}

/** The Last-Event-ID header (a reconnecting EventSource sends it) wins over `?after`. */
function readAfter(c: Context): { ok: true; after: number } | { ok: false; response: Response } {
  const header = c.req.header('last-event-id');
  const query = c.req.query('after');
  const [field, value] = header !== undefined ? ['Last-Event-ID', header.trim()] : ['after', query];
  if (value === undefined || value === '') return { ok: true, after: -1 };
  if (!seqPattern.test(value)) {
    const issues = [{ path: field!, message: 'must be the seq of the last event received: a whole number from 0' }];
    return { ok: false, response: errorResponse(c, new DomainError('VALIDATION_FAILED', `${field} is not an event seq`, { issues })) };
  }
  return { ok: true, after: Number(value) };
}

/** GET /jobs/{id}, GET /jobs/{id}/events, POST /jobs/{id}/cancel: a job's address on this worker. */
export function registerJobRoutes(app: Hono<{ Bindings: HttpBindings }>, { jobs, workerId, heartbeatMs }: JobRoutesDeps): void {
  const find = (c: Context): JobRecord | Response => {
    const jobId = c.req.param('jobId')!;
    return jobs.get(jobId) ?? unknownJob(c, jobs, jobId, workerId);
  };

  app.get('/jobs/:jobId', (c) => {
    const record = find(c);
    return record instanceof Response ? record : c.json(describe(record.state()));
  });

  app.post('/jobs/:jobId/cancel', (c) => {
    const record = find(c);
    if (record instanceof Response) return record;
    if (!record.cancel(new DomainError('CANCELLED', 'the job was cancelled'))) {
      return fail(c, 'NO_RUNNING_JOB', `job ${record.jobId} has already ended`);
    }
    return c.json({ status: 'cancelling', jobId: record.jobId });
  });

  app.get('/jobs/:jobId/events', async (c) => {
    const record = find(c);
    if (record instanceof Response) return record;
    const after = readAfter(c);
    if (!after.ok) return after.response;
    const terminal = record.state().terminal;
    // An EventSource stops reconnecting on 204: there is nothing more to send it.
    if (terminal && after.after >= terminal.seq) return c.body(null, 204);
    if (after.after > record.log.lastSeq) {
      const issues = [{ path: 'after', message: `must be at most ${record.log.lastSeq}, the job's last event so far` }];
      return errorResponse(c, new DomainError('VALIDATION_FAILED', `event ${after.after} is beyond the job's last one`, { issues }));
    }
    const first = await record.log.read(after.after, 0);
    if (first.kind === 'gone') {
      const where = record.databaseSessionId ? ` Read them from the DB API: GET /sessions/${record.databaseSessionId}/events?jobId=${record.jobId}` : '';
      return errorResponse(
        c,
        new DomainError('EVENTS_GONE', `events ${after.after + 1} to ${first.firstKept - 1} of job ${record.jobId} are no longer kept here; the first kept is ${first.firstKept}.${where}`),
      );
    }
    void followLog(c.env.outgoing, record, after.after, heartbeatMs);
    return RESPONSE_ALREADY_SENT;
  });
}
