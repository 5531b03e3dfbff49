import type { WebhookOutcome } from './job-notifier.port.js';

/** What operators count and time about jobs; the use case reports, an adapter exports. */
export interface MetricsPort {
  jobStarted(provider: string): void;
  /** outcome: `completed`, or the error code the job ended with. */
  jobEnded(provider: string, outcome: string, durationMs: number): void;
  /** Why a job stopped: `finished`, the budget that stopped it, `usage_limit`, or `failed`. */
  jobStopped(provider: string, reason: string): void;
  /** From the request to the assistant's first item: what a client waits before anything happens. */
  firstAssistantItem(provider: string, ms: number): void;
  repoPrepared(ms: number): void;
  /** How the provider's CLI exited: its exit code, or the signal's name. */
  providerExited(provider: string, how: string): void;
  /** How many of a job's events were merged into others to keep within the events-per-second limit. */
  eventsCoalesced(provider: string, count: number): void;
  persistence(report: { stored: number; dropped: number }): void;
  /** Where to read, while a job runs, how many of its events wait for the database; undefined when it ends. */
  watchBacklog(read: (() => number) | undefined): void;
  /** How one job's webhook delivery ended, retries included. */
  webhookDelivered(outcome: WebhookOutcome): void;
}
