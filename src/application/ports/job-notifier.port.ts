import type { ValidationIssue } from '../../domain/errors.js';
import type { JobEvent } from '../../domain/job-event.js';
import type { Secret } from '../../domain/secret.js';

/** A client's webhook: where the job's end is posted, and the secret that signs it. */
export interface WebhookTarget {
  url: string;
  /** Standard Webhooks form, `whsec_` and base64 (plain base64 is accepted too). */
  secret: Secret;
}

/**
 * How a delivery ended: `delivered` (the receiver answered 2xx), `refused` (the receiver answered
 * a 4xx that no retry changes, or the worker's policy refused the target), `failed` (a redirect,
 * no usable answer after every attempt, or the signal aborted first).
 */
export type WebhookOutcome = 'delivered' | 'failed' | 'refused';

/** Tells a client's webhook that its job ended, so a job can outlive the connection that started it. */
export interface JobNotifierPort {
  /** What the worker's policy refuses in a target, as issues on `url` or `secret` (the request's `webhook.url`, `webhook.secret`). */
  validate(target: WebhookTarget): ValidationIssue[];
  /** Posts the job's terminal event, signed and retried; never throws: the outcome says how it went. */
  notify(target: WebhookTarget, event: JobEvent, signal: AbortSignal): Promise<WebhookOutcome>;
}
