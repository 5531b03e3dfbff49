import { describe, expect, it } from 'vitest';
import type { PersistencePort, PersistenceTarget } from '../../src/application/ports/persistence.port.js';
import type { JobEvent } from '../../src/domain/job-event.js';

export interface PersistenceHarness {
  name: string;
  create(): Promise<{
    persistence: PersistencePort;
    target: PersistenceTarget;
    /** What the database holds for the target's session, in order. */
    stored(): Promise<JobEvent[]>;
    close(): Promise<void>;
  }>;
}

const job = (jobId: string, n: number): JobEvent[] =>
  Array.from({ length: n }, (_, seq) =>
    seq === n - 1
      ? { type: 'error', seq, jobId, timestamp: 't', code: 'CANCELLED', message: 'cancelled', retryable: false }
      : { type: 'message', seq, jobId, timestamp: 't', stage: 'provider', text: `event ${seq}` },
  );

export function describePersistenceContract(harness: PersistenceHarness): void {
  describe(`PersistencePort contract: ${harness.name}`, () => {
    it('stores every event of a job, in order, and reports them stored', async () => {
      const fx = await harness.create();
      const recorder = fx.persistence.open('job-a', fx.target);
      const events = job('job-a', 250);
      for (const event of events) recorder.record(event, JSON.stringify(event));
      expect(await recorder.close(AbortSignal.timeout(10_000))).toEqual({ stored: 250, dropped: 0 });
      expect(await fx.stored()).toEqual(events);
      await fx.close();
    });

    it('reports what is stored so far on flush, before the job ends', async () => {
      const fx = await harness.create();
      const recorder = fx.persistence.open('job-b', fx.target);
      for (const event of job('job-b', 10).slice(0, 5)) recorder.record(event, JSON.stringify(event));
      expect(await recorder.flush(AbortSignal.timeout(10_000))).toEqual({ stored: 5, dropped: 0 });
      await recorder.close(AbortSignal.timeout(10_000));
      await fx.close();
    });

    it('keeps two jobs of one session apart, each in its own order', async () => {
      const fx = await harness.create();
      for (const id of ['job-1', 'job-2']) {
        const recorder = fx.persistence.open(id, fx.target);
        for (const event of job(id, 20)) recorder.record(event, JSON.stringify(event));
        await recorder.close(AbortSignal.timeout(10_000));
      }
      expect(await fx.stored()).toEqual([...job('job-1', 20), ...job('job-2', 20)]);
      await fx.close();
    });
  });
}
