import { isConnectionFailure, isRetryableStatus, retryDelay, sleep, type RetryOptions } from './retry.js';
import { WorkerError } from './worker-error.js';

export interface SendInit {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Who answers, for messages: "the worker at http://…". */
  target: string;
  /** Retry 429, 502 and 503 until then (epoch ms); without it, one attempt. */
  retryUntil?: number;
  /** Retry refused or reset connections until then; default `retryUntil`. */
  reachUntil?: number;
}

/**
 * One request, with the backoff of retry.ts while the server is busy or restarting. Resolves
 * to a 2xx response (204 included); anything else becomes a WorkerError with the API's code.
 */
export async function send(url: string, init: SendInit, backoff: RetryOptions): Promise<Response> {
  const unreachable = () => new WorkerError(0, 'UNREACHABLE', `${init.target} cannot be reached`);
  const reachUntil = init.reachUntil ?? init.retryUntil;
  for (let attempt = 0; ; attempt += 1) {
    let response: Response;
    try {
      response = await fetch(url, { method: init.method, body: init.body, headers: init.headers, signal: init.signal });
    } catch (error) {
      if (init.signal?.aborted) throw init.signal.reason;
      if (reachUntil === undefined || !isConnectionFailure(error)) throw unreachable();
      await pause(attempt, null, reachUntil, backoff, init.signal, unreachable);
      continue;
    }
    if (response.ok) return response;
    const error = await errorOf(response, init.target);
    if (init.retryUntil === undefined || !isRetryableStatus(response.status)) throw error;
    await pause(attempt, response.headers.get('retry-after'), init.retryUntil, backoff, init.signal, () => error);
  }
}

async function pause(attempt: number, retryAfter: string | null, until: number, backoff: RetryOptions, signal: AbortSignal | undefined, giveUp: () => Error): Promise<void> {
  const delay = retryDelay(attempt, retryAfter, backoff);
  if (Date.now() + delay > until) throw giveUp();
  await sleep(delay, signal);
}

/** The API's error body (`{error: {code, message, issues?}}`) as a WorkerError. */
async function errorOf(response: Response, target: string): Promise<WorkerError> {
  const body = (await response.json().catch(() => undefined)) as
    | { error?: { code?: string; message?: string; issues?: Array<{ path: string; message: string }> } }
    | undefined;
  const code = (body?.error?.code ?? 'INTERNAL') as WorkerError['code'];
  return new WorkerError(response.status, code, body?.error?.message ?? `${target} answered ${response.status}`, body?.error?.issues ?? []);
}
