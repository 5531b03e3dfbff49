import type { JobBudget } from '../domain/budget.js';
import type { Secret } from '../domain/secret.js';
import type { WebhookTarget } from './ports/job-notifier.port.js';
import type { PersistenceTarget } from './ports/persistence.port.js';
import type { ProviderOptions } from './ports/provider.port.js';
import type { RepoSpec } from './ports/repo.port.js';

/** A validated /execute request, with every credential wrapped as a Secret. */
export interface JobRequest {
  userRequest: string;
  provider: string;
  accessToken?: Secret;
  resumeSessionId?: string;
  workspace?: string;
  github?: RepoSpec;
  database?: PersistenceTarget;
  /** Whether the job goes on when its client goes away. */
  onDisconnect: 'cancel' | 'continue';
  webhook?: WebhookTarget;
  options: ProviderOptions;
  timeoutMs?: number;
  /** The request's own budgets; the worker's defaults fill the rest. */
  budget: JobBudget;
  includeRaw: boolean;
}
