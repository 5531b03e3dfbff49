import type { JobRecorder, PersistencePort, PersistenceReport } from '../../application/ports/persistence.port.js';

const nothing = async (): Promise<PersistenceReport> => ({ stored: 0, dropped: 0 });

/** For a worker without a database (or a job that names none): events go to the stream only. */
export const noopRecorder: JobRecorder = { record: () => undefined, flush: nothing, close: nothing, backlog: () => 0 };

export class NoopPersistence implements PersistencePort {
  readonly enabled = false;

  open(): JobRecorder {
    return noopRecorder;
  }
}
