import { once } from 'node:events';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobSlot } from '../application/job-slot.js';
import type { LoggerPort } from '../application/ports/logger.port.js';
import { DomainError } from '../domain/errors.js';

export interface ShutdownDeps {
  server: Server;
  slot: JobSlot;
  logger: LoggerPort;
  /** Leaves the load balancer's rotation and stops listening for jobs (idempotent). */
  retire: () => Promise<void>;
  /** How long a running job may go on to its end before it is cancelled; 0 cancels at once. */
  drainMs: number;
  /** How long ending the job, flushing and closing may take after that. */
  graceMs: number;
  /** The most retire() waits for the balancer. */
  handoffMs: number;
  /** Once no job runs: waits, at most lingerMs, for readers of ended jobs to have their verdicts. */
  linger: () => Promise<void>;
  lingerMs: number;
  exit: (code: number) => void;
}

export interface Shutdown {
  /** Starts the shutdown (once); later calls return the same promise. */
  (reason: string, code?: number): Promise<void>;
  /** Cuts a drain short: the running job is cancelled now (a second signal). */
  cancelNow(): void;
}

/**
 * One idempotent shutdown whose deadline starts first: take no new job, leave the balancer and
 * stop listening, let a running job finish for up to drainMs, then end it (its provider's
 * process group is killed and its events flushed by the use case), linger while a reader may
 * still want a verdict it has not had, let the last response drain, exit. The ephemeral exit after a job takes the same path.
 */
export function createShutdown({ server, slot, logger, retire, drainMs, graceMs, handoffMs, linger, lingerMs, exit }: ShutdownDeps): Shutdown {
  let running: Promise<void> | undefined;
  const cut = new AbortController();
  // The listening socket may already be closed (a worker that retired), so wait for the event
  // rather than for close()'s callback.
  const closed = once(server, 'close');
  const shutdown = (reason: string, code = 0): Promise<void> => {
    running ??= (async () => {
      const limitMs = handoffMs + drainMs + graceMs + lingerMs;
      const deadline = setTimeout(() => {
        logger.error({ reason, limitMs }, 'shutdown deadline passed; exiting');
        exit(1);
      }, limitMs);
      deadline.unref();
      logger.info({ reason }, 'shutting down');
      slot.close();
      await retire();
      if (slot.current && drainMs > 0 && !cut.signal.aborted) {
        logger.info({ drainMs }, 'draining: the running job may finish');
        await Promise.race([slot.whenIdle(), sleep(drainMs, undefined, { signal: cut.signal, ref: false }).catch(() => undefined)]);
      }
      slot.abort(new DomainError('WORKER_SHUTDOWN', 'the worker is shutting down'));
      await slot.whenIdle();
      await linger();
      // A pooled worker's job port closed as it left the balancer; any other closes now.
      if (server.listening) server.close();
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
  return Object.assign(shutdown, { cancelNow: () => cut.abort() });
}
