export interface WebhookDeliverySettings {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** One attempt may take this long before it is abandoned and, attempts left, tried again. */
  requestTimeoutMs: number;
  /** The backoff before the second attempt; it doubles on each one after, up to maxMs. */
  baseMs: number;
  /** The longest wait between attempts, a receiver's Retry-After included. */
  maxMs: number;
}

// About a minute at worst (5 attempts of 10 s, waits of at most 0.5+1+2+4 s); the use case's
// signal usually ends it sooner.
export const defaultWebhookDeliverySettings: WebhookDeliverySettings = {
  maxAttempts: 5,
  requestTimeoutMs: 10_000,
  baseMs: 500,
  maxMs: 10_000,
};

/** What an answer's status calls for: a 3xx is not followed (it would post the event, signed, to a URL the policy never saw). */
export type Verdict = 'delivered' | 'redirected' | 'retry' | 'refused';

export function verdictOf(status: number): Verdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status >= 300 && status < 400) return 'redirected';
  // Network errors, 5xx, 408 and 429 may pass on a later try; any other 4xx never will.
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'refused';
}

/** Exponential backoff with full jitter (attempt counts from 1): spreads the retries of many workers after an outage. */
export function backoffMs(attempt: number, settings: WebhookDeliverySettings, random = Math.random): number {
  return Math.round(random() * Math.min(settings.maxMs, settings.baseMs * 2 ** (attempt - 1)));
}

/** Retry-After in seconds or as an HTTP date, at most maxMs so no receiver holds the worker's exit; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, settings: WebhookDeliverySettings, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const date = Date.parse(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Number.isNaN(date) ? undefined : date - now;
  return ms === undefined ? undefined : Math.min(settings.maxMs, Math.max(0, ms));
}

/** Waits `ms`, or less when the signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
