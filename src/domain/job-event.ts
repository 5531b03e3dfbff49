import type { AgentItem, Usage } from './agent-item.js';
import type { BudgetKind, StopReason } from './budget.js';
import type { ErrorCode } from './errors.js';
import type { RepoChanges } from './repo-changes.js';
import type { RepoProgress } from './repo-progress.js';

export const apiVersion = '1';

/** How many of a job's events reached the client's database, and how many it missed. */
export interface PersistenceReport {
  stored: number;
  dropped: number;
}

export type JobStage = 'workspace' | 'repository' | 'session' | 'provider' | 'publish';

/** The body of each event, without the envelope every event shares. */
export type JobEventBody =
  | { type: 'connected'; provider: string; workerId: string; apiVersion: string }
  | { type: 'message'; stage: JobStage; text: string }
  | ({ type: 'github_pull_progress' } & RepoProgress)
  | { type: 'assistant_message'; sessionId: string | null; item: AgentItem; raw?: unknown }
  | {
      type: 'completed';
      sessionId: string | null;
      result: string;
      durationMs: number;
      numTurns: number;
      usage: Usage;
      /** Why the assistant stopped: it finished, or it ended its turn at a budget (`turns`). */
      stopReason: StopReason;
      /** Present whenever the job used a repository, pushed or not. */
      changes?: RepoChanges;
      /** With a database: what reached it of the events before this one. */
      persistence?: PersistenceReport;
    }
  | {
      type: 'error';
      code: ErrorCode;
      message: string;
      retryable: boolean;
      /** The assistant's session when one had started: a failed job can be continued with resumeSessionId. */
      sessionId?: string;
      /** What the job had used when it ended. */
      usage?: Usage;
      /** BUDGET_EXCEEDED, TIMEOUT, PROVIDER_STALLED: which budget, its limit and what was used. */
      budget?: BudgetKind;
      limit?: number;
      used?: number;
      /** USAGE_LIMIT: when the provider's account may be used again, where the provider says. */
      resetAt?: string;
      retryAfterMs?: number;
      persistence?: PersistenceReport;
    };

export interface JobEventEnvelope {
  seq: number;
  jobId: string;
  timestamp: string;
}

/** One Server-Sent Event of a job's stream: the API contract, version 1. */
export type JobEvent = JobEventBody & JobEventEnvelope;

export type JobEventType = JobEvent['type'];

export const isTerminal = (event: Pick<JobEvent, 'type'>): boolean =>
  event.type === 'completed' || event.type === 'error';
