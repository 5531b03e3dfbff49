import { Webhook } from 'standardwebhooks';

export interface WebhookTiming {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first retry waits about this long; each next one twice as long, with full jitter. */
  baseMs: number;
  /** One attempt's deadline. */
  timeoutMs: number;
}

export const defaultWebhookTiming: WebhookTiming = { attempts: 6, baseMs: 500, timeoutMs: 10_000 };

/** What became of a delivery: the status that ended it, or why it gave up. */
export type WebhookOutcome = { delivered: true; status: number } | { delivered: false; reason: string };

const retryable = (status: number): boolean => status >= 500 || status === 408 || status === 429;

/**
 * POSTs `payload` to `url` signed per Standard Webhooks (webhook-id, webhook-timestamp,
 * webhook-signature over `id.timestamp.body` with the whsec_ secret). The same webhook-id on
 * every try, so a receiver can drop a duplicate. Network errors, 408, 429 and 5xx are retried;
 * a redirect is not followed (the signature is for this URL) and, like any other answer,
 * ends the delivery.
 */
export async function deliverWebhook(
  target: { url: string; secret: string },
  message: { id: string; payload: string },
  timing: WebhookTiming,
  signal: AbortSignal,
): Promise<WebhookOutcome> {
  const signer = new Webhook(target.secret);
  let reason = 'not tried';
  for (let attempt = 0; attempt < timing.attempts && !signal.aborted; attempt++) {
    if (attempt > 0) await pause(Math.random() * timing.baseMs * 2 ** (attempt - 1), signal);
    const now = new Date();
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(timing.timeoutMs)]),
        headers: {
          'content-type': 'application/json',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signer.sign(message.id, now, message.payload),
        },
        body: message.payload,
      });
      await response.body?.cancel();
      if (response.ok) return { delivered: true, status: response.status };
      reason = `answered ${response.status}`;
      if (!retryable(response.status)) break;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
  }
  return { delivered: false, reason };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
