import { HttpDbApiPersistence } from '../../src/adapters/persistence/index.js';
import type { JobEvent } from '../../src/domain/job-event.js';
import { Secret } from '../../src/domain/secret.js';
import { describePersistenceContract } from '../contract/persistence.contract.js';
import { MemoryPersistence, silentLogger } from '../support/in-memory.js';
import { startReferenceDbApi } from '../support/reference-db-api.js';

describePersistenceContract({
  name: 'in memory',
  async create() {
    const persistence = new MemoryPersistence();
    return {
      persistence,
      target: { sessionId: 's', accessToken: new Secret('memory-token') },
      stored: async () => persistence.events,
      close: async () => undefined,
    };
  },
});

describePersistenceContract({
  name: 'HTTP DB API adapter on the reference server (PostgreSQL)',
  async create() {
    const api = await startReferenceDbApi();
    const sessionId = `contract-${Math.random().toString(36).slice(2, 10)}`;
    return {
      persistence: new HttpDbApiPersistence(
        { baseUrl: api.url, batchSize: 64, batchIntervalMs: 5, bufferMax: 10_000, requestTimeoutMs: 5000, baseMs: 10, maxMs: 200 },
        silentLogger,
      ),
      target: { sessionId, accessToken: new Secret(api.token) },
      stored: async () => {
        const response = await fetch(`${api.url}/sessions/${sessionId}/chunks`, { headers: { authorization: `Bearer ${api.token}` } });
        return ((await response.json()) as { chunks: Array<{ data: JobEvent }> }).chunks.map((chunk) => chunk.data);
      },
      close: () => api.close(),
    };
  },
});
