import type { WebhookTarget } from '../../application/ports/job-notifier.port.js';
import type { LoggerPort } from '../../application/ports/logger.port.js';
import type { DbApiClient } from './db-api.client.js';

/**
 * The worker's claim on a running job in the DB API (PUT /sessions/{id}/lease), renewed at a
 * third of its time to live. A worker that dies stops renewing it; once it runs out, the DB API
 * gives the job the terminal error WORKER_LOST, so its readers and webhook get an end.
 */
export class JobLease {
  #timer: NodeJS.Timeout | undefined;
  #released = false;

  constructor(
    private readonly jobId: string,
    private readonly client: DbApiClient,
    private readonly ttlMs: number,
    /** Told of WORKER_LOST by the DB API, since the worker cannot be. */
    private readonly webhook: WebhookTarget | undefined,
    private readonly logger: LoggerPort,
  ) {}

  hold(): void {
    void this.#renew();
    this.#timer = setInterval(() => void this.#renew(), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.#timer.unref();
  }

  /**
   * Stops renewing once the job's final status is sent: the DB API releases the lease with
   * that PATCH, and a lease left by a worker that could not send it ends in WORKER_LOST only
   * if no terminal event was stored.
   */
  release(): void {
    this.#released = true;
    clearInterval(this.#timer);
  }

  async #renew(): Promise<void> {
    if (this.#released) return;
    // A renewal that cannot land before the next is due is given up: the next one tries again.
    const webhook = this.webhook && { url: this.webhook.url, secret: this.webhook.secret.reveal() };
    const body = { jobId: this.jobId, ttlMs: this.ttlMs, ...(webhook && { webhook }) };
    const renewed = await this.client.send('PUT', '/lease', body, AbortSignal.timeout(Math.floor(this.ttlMs / 3)));
    if (!renewed && !this.#released) this.logger.warn({ jobId: this.jobId }, 'the job lease was not renewed');
  }
}
