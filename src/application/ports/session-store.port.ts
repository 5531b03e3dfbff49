import type { SessionSnapshot } from '../../domain/session.js';
import type { PersistenceTarget } from './persistence.port.js';

/**
 * Keeps assistant sessions so that a later job, on any replica, can resume them. With a
 * target (the request's `database`) the session lives in the client's database; without one,
 * in the replica's own store.
 */
export interface SessionStorePort {
  save(snapshot: SessionSnapshot, target: PersistenceTarget | undefined, signal: AbortSignal): Promise<void>;
  /** The snapshot saved under the provider's session id, if any. */
  load(providerSessionId: string, target: PersistenceTarget | undefined, signal: AbortSignal): Promise<SessionSnapshot | undefined>;
  /** Erases the saved session (with a target, the database's session, its stored events included); false when there was none. */
  erase(providerSessionId: string, target: PersistenceTarget | undefined, signal: AbortSignal): Promise<boolean>;
}
