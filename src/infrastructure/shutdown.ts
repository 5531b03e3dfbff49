import { once } from 'node:events';
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
  // The listening socket may already be closed (an ephemeral worker closes it on taking its
  // job), so wait for the event rather than for close()'s callback.
  const closed = once(server, 'close');
  return (reason: string, code = 0): Promise<void> => {
    running ??= (async () => {
      const deadline = setTimeout(() => {
        logger.error({ reason, graceMs }, 'shutdown deadline passed; exiting');
        exit(1);
      }, graceMs);
      deadline.unref();
      logger.info({ reason }, 'shutting down');
      slot.close();
      if (server.listening) server.close();
      slot.abort(new DomainError('WORKER_SHUTDOWN', 'the worker is shutting down'));
      await slot.whenIdle();
      // The last response ends a moment after the job; its keep-alive connection would hold
      // the server open for keepAliveTimeout, so idle connections are closed as they appear.
      const sweeper = setInterval(() => server.closeIdleConnections(), 20);
      server.closeIdleConnections();
      await closed;
      clearInterval(sweeper);
      clearTimeout(deadline);
      logger.info({ reason }, 'stopped');
      exit(code);
    })();
    return running;
  };
}
