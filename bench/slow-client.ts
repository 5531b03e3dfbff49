/**
 * bench/slow-client: 100,000 events for a client that reads 10 KB/s for 20 s, against the same
 * job for a fast client; the worker's RSS growth shows whether backpressure reaches the CLI's
 * stdout (the CLI then waits) instead of piling events up in memory.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { benchToken, jobBody, runJob, startBenchWorker } from './support/harness.js';

const events = Number(process.env.BENCH_EVENTS ?? 100_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const bytesPerSecond = 10 * 1024;

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

/** Reads the stream at `bytesPerSecond` with a small socket buffer, for `seconds`, then hangs up. */
function slowRead(url: string, onTick: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${benchToken}` },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let read = 0;
      res.pause();
      const timer = setInterval(() => {
        onTick();
        let budget = bytesPerSecond / 10;
        let chunk: Buffer | null;
        while (budget > 0 && (chunk = res.read(Math.min(budget, res.readableLength || budget)) as Buffer | null)) {
          read += chunk.length;
          budget -= chunk.length;
        }
      }, 100);
      setTimeout(() => {
        clearInterval(timer);
        req.destroy();
        resolve(read);
      }, seconds * 1000);
    });
    req.end(jobBody);
  });
}

const worker = await startBenchWorker(events);
try {
  await runJob(worker.url); // warm up
  const before = rssMb(worker.pid);
  let fastPeak = before;
  const fast = runJob(worker.url);
  const sampler = setInterval(() => (fastPeak = Math.max(fastPeak, rssMb(worker.pid))), 20);
  await fast;
  clearInterval(sampler);
  const idle = rssMb(worker.pid);
  let slowPeak = idle;
  const read = await slowRead(worker.url, () => (slowPeak = Math.max(slowPeak, rssMb(worker.pid))));
  console.log(`\nslow client: ${events} events, client reads ${bytesPerSecond / 1024} KB/s for ${seconds} s (read ${Math.round(read / 1024)} KB)`);
  console.log(`  worker RSS before              ${before.toFixed(1)} MB`);
  console.log(`  peak with a fast client        ${fastPeak.toFixed(1)} MB (+${(fastPeak - before).toFixed(1)} MB)`);
  console.log(`  peak with the slow client      ${slowPeak.toFixed(1)} MB (+${(slowPeak - idle).toFixed(1)} MB over idle; target <= +20 MB)`);
} finally {
  await worker.stop();
}
