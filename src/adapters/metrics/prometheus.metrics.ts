import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WebhookOutcome } from '../../application/ports/job-notifier.port.js';
import type { MetricsPort } from '../../application/ports/metrics.port.js';

const seconds = (ms: number): number => ms / 1000;

/** The worker's metrics in Prometheus' text format, served at GET /metrics. */
export class PrometheusMetrics implements MetricsPort {
  readonly registry = new Registry();
  readonly #jobs = new Counter({ name: 'unified_worker_jobs_total', help: 'Jobs ended, by provider and outcome', labelNames: ['provider', 'outcome'], registers: [this.registry] });
  readonly #running = new Gauge({ name: 'unified_worker_busy', help: '1 while the worker runs a job', registers: [this.registry] });
  readonly #duration = new Histogram({
    name: 'unified_worker_job_duration_seconds',
    help: 'Job duration, request to terminal event',
    labelNames: ['provider', 'outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly #firstItem = new Histogram({
    name: 'unified_worker_time_to_first_item_seconds',
    help: "Request to the assistant's first item",
    labelNames: ['provider'],
    buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly #repo = new Histogram({ name: 'unified_worker_repo_prepare_seconds', help: 'Clone or fetch of the job repository', buckets: [0.5, 1, 2, 5, 10, 30, 60, 120], registers: [this.registry] });
  readonly #exits = new Counter({
    name: 'unified_worker_provider_exits_total',
    help: 'Provider CLI exits, by provider and exit code (or signal)',
    labelNames: ['provider', 'code'],
    registers: [this.registry],
  });
  #backlog: (() => number) | undefined;
  readonly #backlogGauge: Gauge = new Gauge({
    name: 'unified_worker_persistence_backlog',
    help: 'Events of the running job waiting to be stored in the DB API',
    registers: [this.registry],
    // Read when scraped: the running job's recorder knows its own buffer.
    collect: (): void => this.#backlogGauge.set(this.#backlog?.() ?? 0),
  });
  readonly #coalesced = new Counter({
    name: 'unified_worker_coalesced_events_total',
    help: 'Events merged into the one before them to keep a job within MAX_EVENTS_PER_SECOND',
    labelNames: ['provider'],
    registers: [this.registry],
  });
  readonly #stops = new Counter({
    name: 'unified_worker_job_stops_total',
    help: 'Jobs by why they stopped: finished, a budget (turns, cost, tokens, time, silence), usage_limit or failed',
    labelNames: ['provider', 'reason'],
    registers: [this.registry],
  });
  readonly #stored = new Counter({ name: 'unified_worker_persisted_events_total', help: 'Events stored in the DB API', registers: [this.registry] });
  readonly #dropped = new Counter({ name: 'unified_worker_dropped_events_total', help: 'Events the DB API never received', registers: [this.registry] });
  readonly #webhooks = new Counter({
    name: 'unified_worker_webhook_deliveries_total',
    help: "Jobs' webhook deliveries, by outcome: delivered, refused or failed",
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'unified_worker_' });
  }

  jobStarted(): void {
    this.#running.set(1);
  }

  jobEnded(provider: string, outcome: string, durationMs: number): void {
    this.#running.set(0);
    this.#jobs.inc({ provider, outcome });
    this.#duration.observe({ provider, outcome }, seconds(durationMs));
  }

  jobStopped(provider: string, reason: string): void {
    this.#stops.inc({ provider, reason });
  }

  firstAssistantItem(provider: string, ms: number): void {
    this.#firstItem.observe({ provider }, seconds(ms));
  }

  repoPrepared(ms: number): void {
    this.#repo.observe(seconds(ms));
  }

  watchBacklog(read: (() => number) | undefined): void {
    this.#backlog = read;
  }

  providerExited(provider: string, code: string): void {
    this.#exits.inc({ provider, code });
  }

  eventsCoalesced(provider: string, count: number): void {
    this.#coalesced.inc({ provider }, count);
  }

  persistence(report: { stored: number; dropped: number }): void {
    this.#stored.inc(report.stored);
    this.#dropped.inc(report.dropped);
  }

  webhookDelivered(outcome: WebhookOutcome): void {
    this.#webhooks.inc({ outcome });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
