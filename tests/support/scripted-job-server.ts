import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobEvent } from '../../src/domain/job-event.js';
import { readBody, sendJson } from './http-body.js';

/** How the server answers one stream request (POST /execute or a GET of events), in order. */
export interface StreamPlan {
  /** Answer this status with the API's error body instead of a stream. */
  status?: number;
  /** Destroy the socket after this many events of this stream. */
  cutAfter?: number;
  /** End the response cleanly after this many events, before the job's end. */
  endAfter?: number;
  /** Stop writing after this many events and keep the connection open. */
  holdAfter?: number;
  /** Start this many events before the one asked for, as a careless server might. */
  repeat?: number;
  /** Leave out the event with this seq. */
  skip?: number;
}

export interface RecordedRequest {
  method: string;
  /** With the query string. */
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

interface ScriptedJob {
  events: JobEvent[];
  /** The DB API session it is stored under, and the token that reads it. */
  database?: { sessionId: string; accessToken: string };
}

const errorCodeOf: Record<number, string> = { 400: 'VALIDATION_FAILED', 401: 'UNAUTHORIZED', 404: 'NOT_FOUND', 409: 'NO_RUNNING_JOB', 410: 'EVENTS_GONE', 502: 'INTERNAL', 503: 'WORKER_SHUTDOWN' };

/** A job's whole stream: connected, `messages` messages, then its terminal event. */
export function scriptedEvents(jobId: string, messages: number, end: 'completed' | 'error' = 'completed'): JobEvent[] {
  const timestamp = '2026-12-01T00:00:00.000Z';
  const events: JobEvent[] = [{ type: 'connected', provider: 'claude-code', workerId: 'w-1', apiVersion: '1', seq: 0, jobId, timestamp }];
  for (let i = 1; i <= messages; i++) events.push({ type: 'message', stage: 'provider', text: `step ${i}`, seq: i, jobId, timestamp });
  const seq = messages + 1;
  events.push(
    end === 'completed'
      ? { type: 'completed', sessionId: 's-1', result: 'done', durationMs: 1200, numTurns: 1, usage: { inputTokens: 10, outputTokens: 5 }, stopReason: 'finished', seq, jobId, timestamp }
      : { type: 'error', code: 'WORKER_LOST', message: 'the worker stopped renewing its lease', retryable: true, seq, jobId, timestamp },
  );
  return events;
}

/**
 * The worker's job routes (`role: 'worker'`) or the DB API's session events (`role: 'db-api'`)
 * on loopback, per the reattach contract, serving scripted jobs and cutting streams as planned.
 */
export class ScriptedJobServer {
  readonly requests: RecordedRequest[] = [];
  readonly #jobs = new Map<string, ScriptedJob>();
  readonly #plans: StreamPlan[] = [];
  #executes: string | undefined;

  private constructor(
    private readonly server: Server,
    readonly role: 'worker' | 'db-api',
    private readonly token: string | undefined,
  ) {}

  static async start(role: 'worker' | 'db-api', token?: string): Promise<ScriptedJobServer> {
    let scripted: ScriptedJobServer | undefined;
    const server = createServer((req, res) => void scripted!.handle(req, res).catch(() => res.destroy()));
    scripted = new ScriptedJobServer(server, role, token);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return scripted;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Adds a job; the first added is the one POST /execute runs. */
  addJob(events: JobEvent[], database?: ScriptedJob['database']): void {
    const jobId = events[0]!.jobId;
    this.#jobs.set(jobId, { events, ...(database && { database }) });
    this.#executes ??= jobId;
  }

  /** Plans for the next stream requests, one each; later ones are served whole. */
  plan(...plans: StreamPlan[]): void {
    this.#plans.push(...plans);
  }

  /** The requests for events (not POST /execute), in order. */
  get eventRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.method === 'GET' && request.url.includes('/events'));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://scripted');
    this.requests.push({ method: req.method ?? '', url: `${url.pathname}${url.search}`, headers: req.headers, body });
    const path = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (this.role === 'db-api') return this.dbApi(req, res, path, url);
    if (this.token && req.headers.authorization !== `Bearer ${this.token}`) return refuse(res, 401);
    if (req.method === 'POST' && url.pathname === '/execute') return this.execute(res);
    const job = path[0] === 'jobs' && path[1] ? this.#jobs.get(path[1]) : undefined;
    if (!job) return refuse(res, 404);
    if (req.method === 'GET' && path.length === 2) return sendJson(res, 200, stateOf(job));
    if (req.method === 'POST' && path[2] === 'cancel') return sendJson(res, 200, { status: 'cancelling', jobId: path[1] });
    if (req.method === 'GET' && path[2] === 'events') return this.events(req, res, job, url);
    return refuse(res, 404);
  }

  private async execute(res: ServerResponse): Promise<void> {
    const job = this.#jobs.get(this.#executes ?? '');
    const plan = this.#plans.shift() ?? {};
    if (!job || plan.status) return refuse(res, plan.status ?? 503);
    const jobId = job.events[0]!.jobId;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-job-id': jobId, location: `/jobs/${jobId}/events` });
    await stream(res, job.events, -1, plan);
  }

  private async dbApi(req: IncomingMessage, res: ServerResponse, path: string[], url: URL): Promise<void> {
    const job = this.#jobs.get(url.searchParams.get('jobId') ?? '');
    if (path[0] !== 'sessions' || path[2] !== 'events' || !job?.database || job.database.sessionId !== path[1]) return refuse(res, 404);
    if (req.headers.authorization !== `Bearer ${job.database.accessToken}`) return refuse(res, 401);
    return this.events(req, res, job, url);
  }

  private async events(req: IncomingMessage, res: ServerResponse, job: ScriptedJob, url: URL): Promise<void> {
    const plan = this.#plans.shift() ?? {};
    if (plan.status) return refuse(res, plan.status);
    const given = req.headers['last-event-id'] ?? url.searchParams.get('after') ?? '-1';
    const after = Number(given);
    if (!Number.isInteger(after) || after < -1) return refuse(res, 400);
    if (after >= job.events.at(-1)!.seq) {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('retry: 1000\n\n');
    await stream(res, job.events, after, plan);
  }
}

function stateOf(job: ScriptedJob): object {
  const terminal = job.events.at(-1)!;
  return { jobId: terminal.jobId, provider: 'claude-code', status: terminal.type === 'completed' ? 'completed' : 'failed', lastSeq: terminal.seq, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.000Z', readers: 0, terminal };
}

function refuse(res: ServerResponse, status: number): void {
  sendJson(res, status, { error: { code: errorCodeOf[status] ?? 'INTERNAL', message: `scripted ${status}` } });
}

async function stream(res: ServerResponse, events: JobEvent[], after: number, plan: StreamPlan): Promise<void> {
  const from = Math.max(0, after + 1 - (plan.repeat ?? 0));
  const sent = events.filter((event) => event.seq >= from && event.seq !== plan.skip);
  let written = 0;
  for (const event of sent) {
    if (written === plan.cutAfter) {
      // Let the frames already written reach the socket, then break it as a dying worker would.
      res.socket?.destroy();
      return;
    }
    if (written === plan.endAfter) break;
    if (written === plan.holdAfter) return;
    await new Promise<void>((resolve) => res.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`, () => resolve()));
    written += 1;
  }
  res.end();
}
