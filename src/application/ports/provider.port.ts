import type { AgentItem, Usage } from '../../domain/agent-item.js';
import type { StopReason } from '../../domain/budget.js';
import type { ExecuteRequestBody } from '../../domain/execute-request.js';
import type { Secret } from '../../domain/secret.js';
import type { SessionArtifact, SessionSnapshot } from '../../domain/session.js';

/** The request's providerOptions that concern the assistant; the job's own limits stay with the job. */
export type ProviderOptions = Omit<NonNullable<ExecuteRequestBody['providerOptions']>, 'timeoutMs' | 'includeRaw' | 'maxTurns' | 'maxCostUsd' | 'maxTokens'>;

export type ProviderOptionName = keyof ProviderOptions;

export interface ProviderCapabilities {
  /** providerOptions this provider honours; any other one is refused, never ignored. */
  options: readonly ProviderOptionName[];
  /** permissionMode values the CLI accepts. */
  permissionModes: readonly string[];
  resume: boolean;
  /** The CLI stops at maxTurns itself, ending its turn gracefully; for the others the worker counts. */
  nativeMaxTurns?: boolean;
}

export interface ProviderRun {
  jobId: string;
  prompt: string;
  workdir: string;
  /** The client's credential; absent when the provider has credentials of its own. */
  accessToken?: Secret;
  options: ProviderOptions;
  /** The job's turn budget, for a provider with nativeMaxTurns. */
  maxTurns?: number;
  /** The earlier session to continue, with the transcript files it was saved with. */
  resume?: SessionSnapshot;
  /** Called once the run is over (also after a failure) with the transcript to keep. */
  saveSession(providerSessionId: string, artifacts: SessionArtifact[]): Promise<void>;
  /**
   * Called by a provider that can read its transcript while the CLI runs: the use case then saves
   * the session as the job goes, so a job whose worker dies mid-way can still be resumed.
   */
  checkpoints?(providerSessionId: string, exportNow: () => Promise<SessionArtifact[]>): void;
}

export interface ProviderOutcome {
  sessionId: string | null;
  result: string;
  numTurns: number;
  usage: Usage;
  /** Absent when the assistant simply finished; `turns` when the CLI ended its turn at maxTurns. */
  stopReason?: StopReason;
}

export type ProviderEvent =
  | { type: 'item'; item: AgentItem; raw?: unknown }
  /** Something the client should know that is not the assistant's own output, e.g. an API retry. */
  | { type: 'notice'; text: string }
  | { type: 'finished'; outcome: ProviderOutcome }
  /** The CLI has exited: its code, or the signal that ended it, and how many processes it left that were killed. */
  | { type: 'exit'; code: number | null; signal: string | null; leftovers: number };

/** Whether the provider's CLI is installed on this worker, and which version. */
export interface ProviderAvailability {
  available: boolean;
  version?: string;
}

/** Runs one coding assistant turn in a workspace and reports what it does. */
export interface ProviderPort {
  readonly id: string;
  readonly capabilities: ProviderCapabilities;
  availability(): ProviderAvailability;
  /** Whether the worker holds credentials for this provider, so a request may omit one. */
  hasOwnCredentials(): boolean;
  /**
   * Yields the assistant's items as they happen, in batches (what one read of its output
   * held: a busy CLI prints dozens of lines at a time, and one step each would cost more than
   * the events), and ends with `finished`; throws DomainError (PROVIDER_FAILED,
   * PROVIDER_ERROR, SESSION_NOT_FOUND, or the signal's reason) otherwise. Stops reading the
   * assistant's output while the consumer is not pulling.
   */
  run(run: ProviderRun, signal: AbortSignal): AsyncIterable<ProviderEvent[]>;
}
