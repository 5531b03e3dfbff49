import type { WebhookTarget } from '../../application/ports/job-notifier.port.js';
import type { LoggerPort } from '../../application/ports/logger.port.js';
import type { JobRecorder, PersistencePort, PersistenceReport, PersistenceTarget } from '../../application/ports/persistence.port.js';
import type { JobEvent } from '../../domain/job-event.js';
import { ChunkBatch } from './chunk-batch.js';
import { DbApiClient, type DbApiClientSettings } from './db-api.client.js';
import { JobLease } from './job-lease.js';
import { noopRecorder } from './noop.persistence.js';

export interface HttpDbApiSettings extends DbApiClientSettings {
  /** Chunks per request. */
  batchSize: number;
  /** How long a chunk may wait for others to fill its batch. */
  batchIntervalMs: number;
  /** Chunks held in memory at most; beyond that new ones are dropped and counted. */
  bufferMax: number;
  /** How long the DB API waits for a renewal before it gives the job the verdict WORKER_LOST (default 30 s). */
  leaseTtlMs?: number;
}

/** Stores each job's events in the client's database through the HTTP DB API (docs/db-api.md). */
export class HttpDbApiPersistence implements PersistencePort {
  readonly enabled = true;

  constructor(
    private readonly settings: HttpDbApiSettings,
    private readonly logger: LoggerPort,
  ) {}

  open(jobId: string, target: PersistenceTarget | undefined, options: { webhook?: WebhookTarget } = {}): JobRecorder {
    if (!target) return noopRecorder;
    const client = new DbApiClient(this.settings, target, this.logger);
    return new HttpJobRecorder(jobId, client, new JobLease(jobId, client, this.settings.leaseTtlMs ?? 30_000, options.webhook, this.logger), this.settings, this.logger);
  }
}

/**
 * Batches chunks by count and by a short interval, one request in flight at a time so the
 * database sees them in order; the stream never waits for it.
 */
class HttpJobRecorder implements JobRecorder {
  /** Batches waiting for the API, oldest first; the last one still takes chunks. */
  #batches: ChunkBatch[] = [];
  /** The last batch stopped taking chunks: it is being sent. */
  #sealed = false;
  /** The bytes of the last batch sent, for the next one. */
  #spare: Buffer | undefined;
  #waiting = 0;
  #stored = 0;
  #dropped = 0;
  #status: 'running' | 'completed' | 'error' = 'running';
  #announced = false;
  #pumping: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Aborted when a flush gives up: ends the request in flight and its retries. */
  #giveUp = new AbortController();

  constructor(
    private readonly jobId: string,
    private readonly client: DbApiClient,
    private readonly lease: JobLease,
    private readonly settings: HttpDbApiSettings,
    private readonly logger: LoggerPort,
  ) {
    lease.hold();
  }

  backlog(): number {
    return this.#waiting;
  }

  record(event: JobEvent, json: string): void {
    if (event.type === 'completed') this.#status = 'completed';
    if (event.type === 'error') this.#status = 'error';
    if (this.#waiting >= this.settings.bufferMax) {
      this.#dropped++;
      return;
    }
    let batch = this.#batches.at(-1);
    if (!batch || this.#sealed || batch.count >= this.settings.batchSize) {
      batch = new ChunkBatch(this.jobId, this.#spare);
      this.#spare = undefined;
      this.#batches.push(batch);
      this.#sealed = false;
    }
    // The event's JSON is embedded as it is, not encoded again.
    batch.add(`{"seq":${event.seq},"type":"${event.type}","data":`, json, `,"timestamp":"${event.timestamp}"}`);
    this.#waiting += 1;
    if (batch.count >= this.settings.batchSize) this.#pump();
    else this.#timer ??= setTimeout(() => this.#pump(), this.settings.batchIntervalMs);
  }

  async flush(signal: AbortSignal): Promise<PersistenceReport> {
    const giveUp = (): void => this.#giveUp.abort();
    signal.addEventListener('abort', giveUp, { once: true });
    try {
      while ((this.#waiting > 0 || this.#pumping) && !signal.aborted) await this.#pump();
    } finally {
      signal.removeEventListener('abort', giveUp);
    }
    if (signal.aborted) {
      await this.#pumping;
      this.#dropped += this.#waiting;
      this.#waiting = 0;
      this.#batches = [];
      this.#giveUp = new AbortController();
    }
    return { stored: this.#stored, dropped: this.#dropped };
  }

  async close(signal: AbortSignal): Promise<PersistenceReport> {
    const report = await this.flush(signal);
    if (!signal.aborted) await this.client.send('PATCH', '', { status: this.#status, jobId: this.jobId }, signal);
    this.lease.release();
    if (report.dropped > 0) this.logger.warn({ jobId: this.jobId, ...report }, 'events not stored in the database');
    return report;
  }

  #pump(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pumping ??= this.#drain().finally(() => {
      this.#pumping = undefined;
    });
    return this.#pumping;
  }

  async #drain(): Promise<void> {
    const signal = this.#giveUp.signal;
    if (!this.#announced) {
      this.#announced = true;
      await this.client.send('PATCH', '', { status: 'running', jobId: this.jobId }, signal);
    }
    while (this.#batches.length > 0 && !signal.aborted) {
      const batch = this.#batches[0]!;
      if (batch === this.#batches.at(-1)) this.#sealed = true;
      const taken = await this.client.sendBytes('POST', '/chunks', batch.body(), signal);
      if (signal.aborted) return;
      this.#batches.shift();
      this.#spare = batch.release();
      this.#waiting -= batch.count;
      if (taken) this.#stored += batch.count;
      else this.#dropped += batch.count;
    }
  }
}
