import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import type { JobSlot } from '../../application/job-slot.js';
import type { Readiness } from '../../application/readiness.js';
import { DomainError } from '../../domain/errors.js';
import { fail } from './error-response.js';

export interface ControlRouteDeps {
  slot: JobSlot;
  readiness: Readiness;
  metrics: { contentType: string; render(): Promise<string> };
  /** Each provider and whether its CLI is installed here, with its version. */
  providers: () => Array<{ id: string; available: boolean; version?: string }>;
  version: string;
  startedAt: number;
  now: () => number;
}

/** Health, readiness, status and cancel: what a load balancer and an operator ask of a worker. */
export function registerControlRoutes(app: Hono<{ Bindings: HttpBindings }>, { slot, readiness, metrics, providers, version, startedAt, now }: ControlRouteDeps): void {
  app.get('/metrics', async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }));

  app.get('/health', (c) =>
    c.json({ status: 'ok', version, uptimeS: Math.floor((now() - startedAt) / 1000), providers: providers() }),
  );

  // Liveness is /health; this is whether a balancer should keep the worker in rotation: yes while
  // it runs its job (busy is the balancer's maxconn), no once it will take no job again.
  app.get('/ready', (c) => (readiness.probe() ? c.json({ status: 'ready' }) : c.json({ status: 'retiring' }, 503)));

  app.get('/status', (c) => {
    const job = slot.current;
    if (!slot.busy) return c.json({ status: 'idle' });
    if (!job && slot.retiring) return c.json({ status: 'retiring' });
    return c.json({
      status: 'busy',
      ...(job && { jobId: job.jobId, provider: job.provider, startedAt: new Date(job.startedAt).toISOString() }),
    });
  });

  app.post('/cancel', (c) => {
    const job = slot.current;
    if (!slot.abort(new DomainError('CANCELLED', 'the job was cancelled'))) {
      return fail(c, 'NO_RUNNING_JOB', 'no job is running');
    }
    return c.json({ status: 'cancelling', ...(job && { jobId: job.jobId }) });
  });
}
