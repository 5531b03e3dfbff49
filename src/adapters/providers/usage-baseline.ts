import type { SessionArtifact } from '../../domain/session.js';
import type { UsageBaseline } from './mapped-output.js';

// Codex and Copilot count tokens over the whole session: its total so far travels with it.
const usageArtifact = 'usage.json';

export const baselineArtifact = (usage: UsageBaseline): SessionArtifact => ({ name: usageArtifact, content: JSON.stringify(usage) });

/** The usage a saved session had reached, if it was saved with one. */
export function baselineOf(artifacts: readonly SessionArtifact[]): UsageBaseline | undefined {
  const saved = artifacts.find((artifact) => artifact.name === usageArtifact);
  if (!saved) return undefined;
  try {
    const value = JSON.parse(saved.content) as Partial<UsageBaseline>;
    if (typeof value.inputTokens === 'number' && typeof value.outputTokens === 'number') {
      return { inputTokens: value.inputTokens, outputTokens: value.outputTokens };
    }
  } catch {
    // A damaged record only costs the usage arithmetic.
  }
  return undefined;
}
