import type { Webhook } from 'standardwebhooks';
import { assertNever } from '../../domain/assert-never.js';
import type { ValidationIssue } from '../../domain/errors.js';
import type { JobEvent } from '../../domain/job-event.js';
import type { JobNotifierPort, WebhookOutcome, WebhookTarget } from '../../application/ports/job-notifier.port.js';
import type { LoggerPort } from '../../application/ports/logger.port.js';
import type { MetricsPort } from '../../application/ports/metrics.port.js';
import { backoffMs, pause, retryAfterMs, verdictOf, type WebhookDeliverySettings } from './delivery-retry.js';
import { checkWebhookTarget, signerOf, type WebhookPolicy } from './webhook-policy.js';
import { postJson } from './webhook-post.js';

export interface StandardWebhookSettings extends WebhookPolicy, WebhookDeliverySettings {}

interface Delivery {
  outcome: WebhookOutcome;
  attempts: number;
  /** The last answer's status, when there was one. */
  status?: number;
  /** Why there was no answer worth having, in words safe to log. */
  reason?: string;
}

const messages: Record<WebhookOutcome, string> = {
  delivered: 'webhook delivered',
  refused: 'webhook refused',
  failed: 'webhook not delivered',
};

/**
 * Posts a job's terminal event to the client's URL, signed per Standard Webhooks by the
 * standardwebhooks package. Retries network errors, timeouts, 5xx, 408 and 429 (honouring
 * Retry-After) with backoff, up to maxAttempts; never follows a redirect. Logs and counts each
 * outcome; logs neither the secret nor the body, and of the URL only its host (webhook URLs
 * often carry a token in their path).
 */
export class StandardWebhookNotifier implements JobNotifierPort {
  constructor(
    private readonly settings: StandardWebhookSettings,
    private readonly logger: LoggerPort,
    private readonly metrics: MetricsPort,
  ) {}

  validate(target: WebhookTarget): ValidationIssue[] {
    return checkWebhookTarget(target, this.settings);
  }

  async notify(target: WebhookTarget, event: JobEvent, signal: AbortSignal): Promise<WebhookOutcome> {
    const fields = { jobId: event.jobId, event: event.type, host: hostOf(target.url) };
    const issues = this.validate(target);
    const signer = signerOf(target.secret);
    const delivery: Delivery =
      issues.length > 0 || !signer
        ? { outcome: 'refused', attempts: 0, reason: issues.map((issue) => `webhook.${issue.path} ${issue.message}`).join('; ') }
        : await this.#deliver(new URL(target.url), signer, event, signal);
    const level = delivery.outcome === 'delivered' ? 'info' : 'warn';
    this.logger[level]({ ...fields, ...delivery }, messages[delivery.outcome]);
    this.metrics.webhookDelivered(delivery.outcome);
    return delivery.outcome;
  }

  async #deliver(url: URL, signer: Webhook, event: JobEvent, signal: AbortSignal): Promise<Delivery> {
    // The spec's webhook-id is the key a receiver deduplicates on: one per job, the same on every attempt.
    const id = `job_${event.jobId}`;
    const body = JSON.stringify(event);
    let last: Pick<Delivery, 'status' | 'reason'> = {};
    let attempts = 0;
    let wait = 0;
    while (attempts < this.settings.maxAttempts) {
      await pause(wait, signal);
      if (signal.aborted) return { outcome: 'failed', attempts, ...last, reason: 'abandoned: its time ran out or the worker is stopping' };
      attempts++;
      const timeout = AbortSignal.timeout(this.settings.requestTimeoutMs);
      try {
        const answer = await postJson(url, signedHeaders(signer, id, body), body, AbortSignal.any([signal, timeout]));
        const verdict = verdictOf(answer.status);
        switch (verdict) {
          case 'delivered':
          case 'refused':
            return { outcome: verdict, attempts, status: answer.status };
          case 'redirected':
            return { outcome: 'failed', attempts, status: answer.status, reason: 'the receiver answered a redirect, which is never followed' };
          case 'retry':
            last = { status: answer.status };
            wait = retryAfterMs(answer.retryAfter, this.settings) ?? backoffMs(attempts, this.settings);
            break;
          default:
            return assertNever(verdict);
        }
      } catch (error) {
        last = { reason: timeout.aborted ? `no answer within ${this.settings.requestTimeoutMs} ms` : codeOf(error) };
        wait = backoffMs(attempts, this.settings);
      }
    }
    return { outcome: 'failed', attempts, ...last };
  }
}

/**
 * Signed afresh on each attempt: a receiver refuses a webhook-timestamp outside its tolerance
 * (five minutes in the reference libraries), so a late retry carries its own time.
 */
function signedHeaders(signer: Webhook, id: string, body: string): Record<string, string> {
  const now = new Date();
  return {
    'content-type': 'application/json',
    'user-agent': 'unified-worker',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signer.sign(id, now, body),
  };
}

function hostOf(url: string): string | undefined {
  return URL.canParse(url) ? new URL(url).host : undefined;
}

/** A network error's code (ECONNREFUSED, ENOTFOUND): its message may repeat the address, its code says enough. */
function codeOf(error: unknown): string {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'network error';
}
