import type { SessionSnapshot } from '../../domain/session.js';

/** Keeps assistant sessions so that a later job, on any replica, can resume them. */
export interface SessionStorePort {
  save(snapshot: SessionSnapshot, signal: AbortSignal): Promise<void>;
  /** The snapshot saved under the provider's session id, if any. */
  load(providerSessionId: string, signal: AbortSignal): Promise<SessionSnapshot | undefined>;
}
