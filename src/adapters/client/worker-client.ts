import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { ExecuteRequestBody } from '../../domain/execute-request.js';
import type { JobEvent } from '../../domain/job-event.js';
import { isConnectionFailure, isRetryableStatus, retryDelay, sleep, type RetryOptions } from './retry.js';
import { WorkerError } from './worker-error.js';

export interface WorkerClientOptions {
  /** The worker, or the load balancer in front of a pool of them. */
  baseUrl: string;
  apiToken?: string;
  retry?: RetryOptions;
}

export interface HealthReport {
  status: 'ok';
  version: string;
  uptimeS: number;
  providers: Array<{ id: string; available: boolean; version?: string }>;
}

export type StatusReport = { status: 'idle' } | { status: 'busy'; jobId?: string; provider?: string; startedAt?: string };

/**
 * A typed client of the worker's HTTP API. `execute` streams the job's events; a busy or
 * restarting worker (429, 502, 503, a refused connection) is retried until the deadline, but
 * never once the stream has started: a job runs at most once.
 */
export class WorkerClient {
  readonly #baseUrl: string;

  constructor(private readonly options: WorkerClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** The job's events as they come; aborting `signal` closes the stream, which cancels the job. */
  async *execute(request: ExecuteRequestBody, { signal }: { signal?: AbortSignal } = {}): AsyncGenerator<JobEvent> {
    const response = await this.#send('/execute', { method: 'POST', body: JSON.stringify(request), signal });
    const events = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
    const reader = events.getReader();
    const lost = () => new WorkerError(0, 'WORKER_LOST', 'the stream ended before the job did: the worker or the connection was lost');
    try {
      for (;;) {
        const next = await reader.read().catch(() => {
          throw signal?.aborted ? signal.reason : lost();
        });
        if (next.done) throw lost();
        const event = JSON.parse(next.value.data) as JobEvent;
        yield event;
        if (event.type === 'completed' || event.type === 'error') return;
      }
    } finally {
      // Leaving early (break, throw, abort) closes the connection: the worker cancels the job.
      await reader.cancel().catch(() => undefined);
    }
  }

  async health(signal?: AbortSignal): Promise<HealthReport> {
    return (await this.#send('/health', { method: 'GET', signal })).json() as Promise<HealthReport>;
  }

  async status(signal?: AbortSignal): Promise<StatusReport> {
    return (await this.#send('/status', { method: 'GET', signal })).json() as Promise<StatusReport>;
  }

  async cancel(signal?: AbortSignal): Promise<{ status: 'cancelling'; jobId?: string }> {
    return (await this.#send('/cancel', { method: 'POST', signal }, false)).json() as Promise<{ status: 'cancelling'; jobId?: string }>;
  }

  async #send(path: string, init: { method: string; body?: string; signal?: AbortSignal }, retry = true): Promise<Response> {
    const retryOptions = this.options.retry ?? {};
    const deadline = Date.now() + (retryOptions.deadlineMs ?? 60_000);
    const headers: Record<string, string> = {};
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiToken) headers.authorization = `Bearer ${this.options.apiToken}`;
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(`${this.#baseUrl}${path}`, { method: init.method, body: init.body, headers, signal: init.signal });
      } catch (error) {
        if (init.signal?.aborted || !retry || !isConnectionFailure(error)) {
          throw init.signal?.aborted ? init.signal.reason : new WorkerError(0, 'UNREACHABLE', `the worker at ${this.#baseUrl} cannot be reached`);
        }
        await this.#pause(attempt, null, deadline, init.signal, () => new WorkerError(0, 'UNREACHABLE', `the worker at ${this.#baseUrl} cannot be reached`));
        continue;
      }
      if (response.ok) return response;
      const error = await errorOf(response);
      if (!retry || !isRetryableStatus(response.status)) throw error;
      await this.#pause(attempt, response.headers.get('retry-after'), deadline, init.signal, () => error);
    }
  }

  async #pause(attempt: number, retryAfter: string | null, deadline: number, signal: AbortSignal | undefined, giveUp: () => Error): Promise<void> {
    const delay = retryDelay(attempt, retryAfter, this.options.retry ?? {});
    if (Date.now() + delay > deadline) throw giveUp();
    await sleep(delay, signal);
  }
}

async function errorOf(response: Response): Promise<WorkerError> {
  const body = (await response.json().catch(() => undefined)) as
    | { error?: { code?: string; message?: string; issues?: Array<{ path: string; message: string }> } }
    | undefined;
  const code = (body?.error?.code ?? 'INTERNAL') as WorkerError['code'];
  return new WorkerError(response.status, code, body?.error?.message ?? `the worker answered ${response.status}`, body?.error?.issues ?? []);
}
