import { backoffMs as sharedBackoffMs, isRetryableStatus, pause, retryAfterMs as sharedRetryAfterMs } from '../shared/retry-policy.js';

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
  return isRetryableStatus(status) ? 'retry' : 'refused';
}

/** Exponential backoff with full jitter, attempt counting from 1. */
export function backoffMs(attempt: number, settings: WebhookDeliverySettings, random = Math.random): number {
  return sharedBackoffMs(attempt - 1, settings, random);
}

/** Retry-After, at most maxMs so no receiver holds the worker's exit; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, settings: WebhookDeliverySettings, now = Date.now()): number | undefined {
  const ms = sharedRetryAfterMs(header ?? null, now);
  return ms === undefined ? undefined : Math.min(settings.maxMs, ms);
}

export { pause };
