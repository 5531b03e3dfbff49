import type { AgentItem } from '../../domain/agent-item.js';
import type { DomainError } from '../../domain/errors.js';
import type { ProviderOutcome } from '../../application/ports/provider.port.js';
import type { CliExit } from './cli-process.js';

export type MappedOutput = { type: 'item'; item: AgentItem } | { type: 'notice'; text: string };

export type RunVerdict = { ok: true; outcome: ProviderOutcome } | { ok: false; error: DomainError };

/** Turns one CLI's output lines into normalized items; one instance per run. */
export interface OutputMapper {
  /** A parsed JSON line; lines the mapper does not know map to nothing. */
  map(raw: unknown): MappedOutput[];
  /** How the run ended, judged from what was printed and how the CLI exited; undefined when it cannot tell. */
  verdict(exit: CliExit, stderr: string): RunVerdict | undefined;
}

/** Token counts a resumed session had already spent, for CLIs that report usage over the whole session. */
export interface UsageBaseline {
  inputTokens: number;
  outputTokens: number;
}
