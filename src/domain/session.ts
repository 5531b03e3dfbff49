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
}

export interface SessionArtifact {
  name: string;
  content: string;
}
