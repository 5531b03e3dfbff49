import type { JobRecorder, PersistencePort, PersistenceReport } from '../../application/ports/persistence.port.js';

/** For a worker without a database: events go to the client's stream only. */
export class NoopPersistence implements PersistencePort {
  open(): JobRecorder {
    return {
      record: () => undefined,
      close: async (): Promise<PersistenceReport> => ({ stored: 0, dropped: 0 }),
    };
  }
}
