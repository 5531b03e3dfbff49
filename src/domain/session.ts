/** An assistant conversation that a later job can continue. */
export interface Session {
  provider: string;
  providerSessionId: string;
  branch?: string;
}

/**
 * What a provider needs to continue a session on any replica: the session plus the
 * provider's own transcript files, as text.
 */
export interface SessionSnapshot {
  session: Session;
  artifacts: SessionArtifact[];
  savedAt: number;
  /** A repository job's uncommitted changes at its end, restored where the session resumes. */
  work?: WorkInProgress;
}

/**
 * The workspace as a job left it, beyond the last commit: a binary git diff from `baseCommit`
 * of every tracked change and new file (ignored files excluded), base64-encoded.
 */
export interface WorkInProgress {
  baseCommit: string;
  /** `git diff --binary` output, base64. */
  patch: string;
  /** The patch's size before encoding. */
  bytes: number;
}

export interface SessionArtifact {
  name: string;
  content: string;
}
