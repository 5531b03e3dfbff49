import type { Server } from 'node:http';
import type { JobSlot } from '../application/job-slot.js';
import type { LoggerPort } from '../application/ports/logger.port.js';
import { DomainError } from '../domain/errors.js';

export interface ShutdownDeps {
  server: Server;
  slot: JobSlot;
  logger: LoggerPort;
  graceMs: number;
  exit: (code: number) => void;
}

/**
 * One idempotent shutdown whose deadline starts first: stop accepting, end a running job
 * (its provider's process group is killed and its events flushed by the use case), let the
 * last response drain, exit. The ephemeral exit after a job takes the same path.
 */
export function createShutdown({ server, slot, logger, graceMs, exit }: ShutdownDeps) {
  let running: Promise<void> | undefined;
  return (reason: string, code = 0): Promise<void> => {
    running ??= (async () => {
      const deadline = setTimeout(() => {
        logger.error({ reason, graceMs }, 'shutdown deadline passed; exiting');
        exit(1);
      }, graceMs);
      deadline.unref();
      logger.info({ reason }, 'shutting down');
      slot.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      slot.abort(new DomainError('WORKER_SHUTDOWN', 'the worker is shutting down'));
      await slot.whenIdle();
      server.closeIdleConnections();
      await closed;
      clearTimeout(deadline);
      logger.info({ reason }, 'stopped');
      exit(code);
    })();
    return running;
  };
}
