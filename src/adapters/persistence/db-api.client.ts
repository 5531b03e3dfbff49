import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LoggerPort } from '../../application/ports/logger.port.js';
import type { PersistenceTarget } from '../../application/ports/persistence.port.js';
import { backoffMs, isRetryableStatus, pause, retryAfterMs, type RetrySettings } from '../shared/retry-policy.js';

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
  async send(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body: unknown, signal: AbortSignal): Promise<boolean> {
    const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    return (await this.#exchange(method, path, bytes, signal))?.ok ?? false;
  }

  /** As send(), with a JSON body already encoded. */
  async sendBytes(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, json: Uint8Array, signal: AbortSignal): Promise<boolean> {
    return (await this.#exchange(method, path, json, signal))?.ok ?? false;
  }

  /** The JSON the API answers a GET with; undefined for 404, a refusal or an aborted signal. */
  async get(path: string, signal: AbortSignal): Promise<unknown> {
    const answer = await this.#exchange('GET', path, undefined, signal);
    return answer?.ok ? answer.body : undefined;
  }

  async #exchange(method: string, path: string, bytes: Uint8Array | undefined, signal: AbortSignal): Promise<{ ok: boolean; body: unknown } | undefined> {
    const url = new URL(`${this.#sessionUrl}${path}`);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${this.target.accessToken.reveal()}` };
    for (let attempt = 0; !signal.aborted; attempt++) {
      let wait: number;
      try {
        const answer = await exchange(url, method, headers, bytes, AbortSignal.any([signal, AbortSignal.timeout(this.settings.requestTimeoutMs)]));
        if (answer.status >= 200 && answer.status < 300) return { ok: true, body: parseJson(answer.text) };
        if (answer.status === 404 && method === 'GET') return { ok: false, body: undefined };
        if (!isRetryableStatus(answer.status)) {
          this.logger.warn({ status: answer.status, method, path }, 'the DB API refused a request');
          return { ok: false, body: undefined };
        }
        wait = retryAfterMs(answer.retryAfter ?? null) ?? backoffMs(attempt, this.settings);
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

interface Answer {
  status: number;
  retryAfter: string | undefined;
  text: string;
}

/**
 * One request through node:http, on its default keep-alive agent. Not fetch: fetch copies every
 * body it is given (a batch is hundreds of kilobytes) and builds a web Request and Response
 * around each exchange, together a quarter of what persistence costs the worker. The bytes are
 * written to the socket as they are; the caller reuses them only once the exchange is over.
 */
function exchange(url: URL, method: string, headers: Record<string, string>, body: Uint8Array | undefined, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const length = body === undefined ? {} : { 'content-length': String(body.byteLength) };
    const request = send(url, { method, headers: { ...headers, ...length }, signal }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: first(response.headers['retry-after']), text: Buffer.concat(parts).toString('utf8') }));
      response.once('error', reject);
      // Cut off before its end (a reset, the signal): no answer, so the caller tries again.
      response.once('close', () => response.complete || reject(new Error('the DB API answer was cut off')));
    });
    request.once('error', reject);
    request.end(body);
  });
}

function first(value: IncomingHttpHeaders[string]): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
