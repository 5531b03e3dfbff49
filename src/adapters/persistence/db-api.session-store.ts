import * as v from 'valibot';
import type { LoggerPort } from '../../application/ports/logger.port.js';
import type { PersistenceTarget } from '../../application/ports/persistence.port.js';
import type { SessionStorePort } from '../../application/ports/session-store.port.js';
import type { SessionSnapshot } from '../../domain/session.js';
import { DbApiClient, type DbApiClientSettings } from './db-api.client.js';

/** GET /sessions/{id}/snapshot, as docs/db-api.md describes it. */
const snapshotResponse = v.object({
  session: v.object({ provider: v.string(), providerSessionId: v.string(), branch: v.optional(v.string()) }),
  artifacts: v.array(v.object({ name: v.string(), content: v.string() })),
  savedAt: v.number(),
  work: v.optional(v.object({ baseCommit: v.string(), patch: v.string(), bytes: v.number() })),
});

/**
 * Sessions in the client's database (PUT/GET /sessions/{id}/snapshot), so a job can resume on
 * any replica, even a new one; jobs without a database use the replica's own store.
 */
export class DbApiSessionStore implements SessionStorePort {
  constructor(
    private readonly settings: DbApiClientSettings,
    private readonly local: SessionStorePort,
    private readonly logger: LoggerPort,
  ) {}

  async save(snapshot: SessionSnapshot, target: PersistenceTarget | undefined, signal: AbortSignal): Promise<void> {
    if (!target) return this.local.save(snapshot, undefined, signal);
    const saved = await this.#client(target).send('PUT', '/snapshot', snapshot, signal);
    if (!saved) throw new Error('the DB API did not take the snapshot');
  }

  async load(providerSessionId: string, target: PersistenceTarget | undefined, signal: AbortSignal): Promise<SessionSnapshot | undefined> {
    if (!target) return this.local.load(providerSessionId, undefined, signal);
    const parsed = v.safeParse(snapshotResponse, await this.#client(target).get('/snapshot', signal));
    if (!parsed.success || parsed.output.session.providerSessionId !== providerSessionId) return undefined;
    return parsed.output;
  }

  async erase(providerSessionId: string, target: PersistenceTarget | undefined, signal: AbortSignal): Promise<boolean> {
    if (!target) return this.local.erase(providerSessionId, undefined, signal);
    if (!(await this.load(providerSessionId, target, signal))) return false;
    return this.#client(target).send('DELETE', '', undefined, signal);
  }

  #client(target: PersistenceTarget): DbApiClient {
    return new DbApiClient(this.settings, target, this.logger);
  }
}
