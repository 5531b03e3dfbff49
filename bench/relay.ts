/**
 * bench/relay: a CLI that prints 100,000 recorded Claude Code stream-json lines as fast as it
 * can; time until the client has parsed the last event, through the worker against the same
 * file piped raw through a bare node:http server.
 */
import { median, report } from './support/measure.js';
import { fakeClaudeWith, runJob, runRawJob, startBareRelay, startBenchWorker } from './support/harness.js';

const events = Number(process.env.BENCH_EVENTS ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

const worker = await startBenchWorker(events);
const bare = await startBareRelay(await fakeClaudeWith(events));
try {
  await runJob(worker.url);
  await runRawJob(bare.url);
  const ours: number[] = [];
  const baseline: number[] = [];
  let delivered = 0;
  for (let i = 0; i < rounds; i++) {
    baseline.push((await runRawJob(bare.url)).totalMs);
    const timing = await runJob(worker.url);
    ours.push(timing.totalMs);
    delivered = timing.events;
  }
  report(`relay: ${events} CLI lines to the client (${delivered} SSE events)`, [
    ['bare node:http pipe, client parses lines', median(baseline)],
    ['worker, client parses SSE events', median(ours)],
  ]);
  console.log(`  worker throughput ${Math.round(delivered / (median(ours) / 1000))} events/s (target >= 150000; ratio target <= 1.5x)`);
} finally {
  await worker.stop();
  bare.stop();
}
