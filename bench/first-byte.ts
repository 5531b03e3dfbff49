/**
 * bench/first-byte: time from POST /execute to the client parsing the `connected` event, over
 * many requests to a kept-up worker whose provider answers at once, against a bare node:http
 * server that answers an SSE POST with one event.
 */
import { createParser } from 'eventsource-parser';
import { median, percentile, report } from './support/measure.js';
import { benchToken, jobBody, startBareServer, startBenchWorker } from './support/harness.js';

const requests = Number(process.env.BENCH_REQUESTS ?? 500);

/** Time to the first parsed event; the rest of the stream is read to its end. */
async function firstEvent(url: string, headers: Record<string, string>): Promise<number> {
  const start = performance.now();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: jobBody });
  let first = 0;
  const parser = createParser({ onEvent: () => void (first ||= performance.now() - start) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  return first;
}

const bare = await startBareServer(
  `require('node:http').createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('id: 0\\nevent: connected\\ndata: {"type":"connected"}\\n\\n');
    });
  }).listen(0, '127.0.0.1')`,
);
const bareUrl = `${bare.url}/execute`;
const worker = await startBenchWorker(0);
try {
  const baseline: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < requests; i++) {
    baseline.push(await firstEvent(bareUrl, {}));
    ours.push(await firstEvent(`${worker.url}/execute`, { authorization: `Bearer ${benchToken}` }));
  }
  report(`first event, p50 of ${requests} requests`, [
    ['bare node:http SSE answer', median(baseline)],
    ['worker connected event', median(ours)],
  ]);
  report(`first event, p99 of ${requests} requests`, [
    ['bare node:http SSE answer', percentile(baseline, 99)],
    ['worker connected event', percentile(ours, 99)],
  ]);
} finally {
  await worker.stop();
  bare.stop();
}
