/**
 * bench/event-log: a 100,000-event job through the worker with its event log bounded as
 * shipped (10,000 events and 8 MB in memory, the rest spilled to a file), against the same job
 * with everything held in memory; the worker's peak RSS over the job, and the time to the last
 * event, as ratios. Then a reader replays the whole job from the log.
 */
import { readFileSync } from 'node:fs';
import { median, report } from './support/measure.js';
import { benchToken, jobBody, runJob, startBenchWorker } from './support/harness.js';

const events = Number(process.env.BENCH_EVENTS ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

async function measure(env: Record<string, string>): Promise<{ peakMb: number; ms: number; replayMs: number; replayed: number }> {
  const worker = await startBenchWorker(events, { JOB_RETENTION_MS: '600000', JOB_RETENTION_MAX: '1', ...env });
  try {
    await runJob(worker.url);
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, rssMb(worker.pid))), 20);
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) times.push((await runJob(worker.url)).totalMs);
    clearInterval(timer);
    // One more job, read whole, then replayed whole from its log.
    const last = await fetch(`${worker.url}/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${benchToken}` },
      body: jobBody,
    });
    const jobId = last.headers.get('x-job-id') ?? '';
    await last.arrayBuffer();
    const replayStart = Date.now();
    const replay = await fetch(`${worker.url}/jobs/${jobId}/events`, { headers: { authorization: `Bearer ${benchToken}` } });
    const text = await replay.text();
    const replayMs = Date.now() - replayStart;
    const replayed = text.split('\n\n').filter((frame) => frame.includes('\ndata: ')).length;
    return { peakMb: peak, ms: median(times), replayMs, replayed };
  } finally {
    await worker.stop();
  }
}

const unbounded = await measure({ EVENT_LOG_MEMORY_EVENTS: '10000000', EVENT_LOG_MEMORY_MB: '100000' });
const bounded = await measure({});
report(`event-log: ${events}-event jobs, worker peak RSS`, [
  ['every event kept in memory', unbounded.peakMb],
  ['bounded (10,000 events / 8 MB in memory, the rest in a file)', bounded.peakMb],
], 'MB');
report(`event-log: time to the last event (median of ${rounds})`, [
  ['every event kept in memory', unbounded.ms],
  ['bounded', bounded.ms],
]);
console.log(`  peak RSS ratio bounded/unbounded ${(bounded.peakMb / unbounded.peakMb).toFixed(2)}x; time ratio ${(bounded.ms / unbounded.ms).toFixed(2)}x`);
console.log(`  replay of the whole job: ${bounded.replayed} events in ${bounded.replayMs} ms (bounded), ${unbounded.replayed} in ${unbounded.replayMs} ms (in memory)`);
