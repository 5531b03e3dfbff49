import type { LoggerPort } from '../../application/ports/logger.port.js';
import type { PersistenceTarget } from '../../application/ports/persistence.port.js';
import { backoffMs, isRetryableStatus, pause, retryAfterMs, type RetrySettings } from './retry-policy.js';

export interface DbApiClientSettings extends RetrySettings {
  baseUrl: string;
  /** One request may take this long before it is abandoned and retried. */
  requestTimeoutMs: number;
}

/**
 * Requests to the DB API for one session, retried on network errors, 5xx, 408 and 429
 * (honouring Retry-After) until they succeed, are refused, or the signal aborts. The token goes
 * only in this API's Authorization header.
 */
export class DbApiClient {
  readonly #sessionUrl: string;

  constructor(
    private readonly settings: DbApiClientSettings,
    private readonly target: PersistenceTarget,
    private readonly logger: LoggerPort,
  ) {
    this.#sessionUrl = `${settings.baseUrl.replace(/\/+$/, '')}/sessions/${encodeURIComponent(target.sessionId)}`;
  }

  /** True once the API has taken the request; false when it refused it or the signal aborted. */
  async send(method: 'POST' | 'PATCH' | 'PUT', path: string, body: unknown, signal: AbortSignal): Promise<boolean> {
    return this.sendBytes(method, path, Buffer.from(JSON.stringify(body), 'utf8'), signal);
  }

  /** As send(), with a JSON body already encoded. */
  async sendBytes(method: 'POST' | 'PATCH' | 'PUT', path: string, json: Uint8Array, signal: AbortSignal): Promise<boolean> {
    return (await this.#exchange(method, path, json, signal))?.ok ?? false;
  }

  /** The JSON the API answers a GET with; undefined for 404, a refusal or an aborted signal. */
  async get(path: string, signal: AbortSignal): Promise<unknown> {
    const answer = await this.#exchange('GET', path, undefined, signal);
    return answer?.ok ? answer.body : undefined;
  }

  // Bodies arrive encoded: fetch would otherwise scan a string body for lone surrogates and
  // encode it again on every attempt, a tenth of what a job's persistence costs the worker.
  async #exchange(method: string, path: string, bytes: Uint8Array | undefined, signal: AbortSignal): Promise<{ ok: boolean; body: unknown } | undefined> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      let wait: number;
      try {
        const response = await fetch(`${this.#sessionUrl}${path}`, {
          method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.target.accessToken.reveal()}` },
          ...(bytes === undefined ? {} : { body: bytes }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.settings.requestTimeoutMs)]),
        });
        const text = await response.text().catch(() => '');
        if (response.ok) return { ok: true, body: parseJson(text) };
        if (response.status === 404 && method === 'GET') return { ok: false, body: undefined };
        if (!isRetryableStatus(response.status)) {
          this.logger.warn({ status: response.status, method, path }, 'the DB API refused a request');
          return { ok: false, body: undefined };
        }
        wait = retryAfterMs(response.headers.get('retry-after')) ?? backoffMs(attempt, this.settings);
      } catch {
        // A network error or a timed-out request: the API may still have stored it, which is
        // why every write is idempotent on its side.
        wait = backoffMs(attempt, this.settings);
      }
      await pause(wait, signal);
    }
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
