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
  async send(method: 'POST' | 'PATCH', path: string, body: unknown, signal: AbortSignal): Promise<boolean> {
    const payload = JSON.stringify(body);
    for (let attempt = 0; !signal.aborted; attempt++) {
      let wait: number;
      try {
        const response = await fetch(`${this.#sessionUrl}${path}`, {
          method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.target.accessToken.reveal()}` },
          body: payload,
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.settings.requestTimeoutMs)]),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return true;
        if (!isRetryableStatus(response.status)) {
          this.logger.warn({ status: response.status, method, path }, 'the DB API refused a request');
          return false;
        }
        wait = retryAfterMs(response.headers.get('retry-after')) ?? backoffMs(attempt, this.settings);
      } catch {
        // A network error or a timed-out request: the API may still have stored it, which is
        // why every write is idempotent on its side.
        wait = backoffMs(attempt, this.settings);
      }
      await pause(wait, signal);
    }
    return false;
  }
}
