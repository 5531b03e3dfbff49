import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, Hono } from 'hono';
import * as v from 'valibot';
import type { ExecutionUseCase } from '../../application/execution.use-case.js';
import type { JobRegistry } from '../../application/job-registry.js';
import type { JobSlot } from '../../application/job-slot.js';
import type { LoggerPort } from '../../application/ports/logger.port.js';
import { DomainError } from '../../domain/errors.js';
import { requestIssue } from '../shared/request-issue.js';
import { errorResponse, fail } from './error-response.js';
import { executeRequestSchema } from './execute-request.schema.js';
import { toJobRequest } from './execute-request.mapper.js';
import { maxJsonDepth, readJsonBody } from './json-body.js';
import { SseEventSink } from './sse.event-sink.js';
import { VerdictGateSink } from './verdict-gate.sink.js';

export interface ExecuteRouteDeps {
  useCase: ExecutionUseCase;
  slot: JobSlot;
  jobs: JobRegistry;
  beforeVerdict?: () => Promise<void> | undefined;
  retired?: () => Promise<void>;
  logger: LoggerPort;
  maxBodyBytes: number;
  heartbeatMs?: number;
}

/**
 * 429 while this worker's job runs; 503 when it will take no job again, which a balancer may
 * retry elsewhere. Only a balancer's slip sends a second request to a pooled one-job worker
 * (`retired` set): HAProxy 2.x can exceed a server's maxconn as a server comes back while
 * requests are queued (haproxy/haproxy#2744), and a 503 at once would be retried on this same
 * worker. Held until the worker has left the rotation, the 503 is retried on another.
 */
async function refuse(c: Context, slot: JobSlot, retired: (() => Promise<void>) | undefined): Promise<Response> {
  if (slot.refusal() === 'busy' && retired) await retired();
  return slot.refusal() === 'retiring' || retired
    ? fail(c, 'WORKER_SHUTDOWN', 'this worker takes no more jobs')
    : fail(c, 'WORKER_BUSY', 'this worker is running a job');
}

const bodyRefusals = {
  malformed: 'the body is not valid JSON',
  too_deep: `the body nests arrays and objects deeper than ${maxJsonDepth} levels; a request needs about five`,
  gone: 'the body did not arrive',
} as const;

/** POST /execute: validate (busy or not), take the worker's one slot, then stream the job as SSE. */
export function registerExecuteRoute(app: Hono<{ Bindings: HttpBindings }>, { useCase, slot, jobs, beforeVerdict, retired, logger, maxBodyBytes, heartbeatMs }: ExecuteRouteDeps): void {
  app.post('/execute', async (c) => {
    // A malformed request is refused as such even while a job runs: the body is small and bounded.
    const body = await readJsonBody(c.env.incoming, maxBodyBytes);
    if (!body.ok) {
      if (body.reason === 'too_large') return fail(c, 'PAYLOAD_TOO_LARGE', `the body is larger than ${maxBodyBytes} bytes`);
      return fail(c, 'VALIDATION_FAILED', bodyRefusals[body.reason]);
    }
    const parsed = v.safeParse(executeRequestSchema, body.value);
    if (!parsed.success) {
      const issues = parsed.issues.map(requestIssue);
      return errorResponse(c, new DomainError('VALIDATION_FAILED', 'the request is invalid', { issues }));
    }
    const admitted = useCase.admit(toJobRequest(parsed.output));
    if (!admitted.ok) return errorResponse(c, admitted.error);
    const lease = slot.tryAcquire();
    if (!lease) return refuse(c, slot, retired);
    // The stream is written to Node's response directly: hono's stream helpers cost several
    // microseconds an event, and the relay of a busy assistant sends hundreds of thousands.
    const res = c.env.outgoing;
    const sink = new SseEventSink(res, heartbeatMs);
    const events = beforeVerdict ? new VerdictGateSink(sink, beforeVerdict) : sink;
    const detached = admitted.value.onDisconnect === 'continue';
    res.once('close', () => {
      if (res.writableFinished) return;
      // A detached job runs on to its end; its events wait in the job's log for a reader.
      if (detached) logger.info({ jobId: sink.jobId }, 'the client left; the job goes on');
      else lease.abort(new DomainError('CANCELLED', 'the client disconnected'));
    });
    void useCase
      .execute(admitted.value, events, lease)
      .catch((error: unknown) => logger.error({ err: error }, 'job stream failed'))
      .finally(() => {
        const jobId = sink.jobId;
        void sink.end().then((delivered) => delivered && jobId !== undefined && jobs.get(jobId)?.delivered());
        lease.release();
      });
    return RESPONSE_ALREADY_SENT;
  });
}
