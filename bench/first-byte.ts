/**
 * bench/first-byte: time from POST /execute to the client parsing the `connected` event, over
 * many requests to a kept-up worker whose provider answers at once, against a bare node:http
 * server that answers an SSE POST with one event. A second baseline shows the floor under any
 * app on hono: a bare hono app on @hono/node-server answering the same way, straight to Node's
 * response as the worker does.
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
const bareHono = await startBareServer(
  `(() => {
    const { Hono } = require('hono');
    const { serve } = require('@hono/node-server');
    const { RESPONSE_ALREADY_SENT } = require('@hono/node-server/utils/response');
    const app = new Hono();
    app.post('/execute', async (c) => {
      await c.req.text();
      c.env.outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
      c.env.outgoing.end('id: 0\\nevent: connected\\ndata: {"type":"connected"}\\n\\n');
      return RESPONSE_ALREADY_SENT;
    });
    return serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  })()`,
);
const bareHonoUrl = `${bareHono.url}/execute`;
const worker = await startBenchWorker(0);
try {
  const baseline: number[] = [];
  const floor: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < requests; i++) {
    baseline.push(await firstEvent(bareUrl, {}));
    floor.push(await firstEvent(bareHonoUrl, {}));
    ours.push(await firstEvent(`${worker.url}/execute`, { authorization: `Bearer ${benchToken}` }));
  }
  report(`first event, p50 of ${requests} requests`, [
    ['bare node:http SSE answer', median(baseline)],
    ['  a bare hono app answering the same', median(floor)],
    ['worker connected event', median(ours)],
  ]);
  report(`first event, p99 of ${requests} requests`, [
    ['bare node:http SSE answer', percentile(baseline, 99)],
    ['  a bare hono app answering the same', percentile(floor, 99)],
    ['worker connected event', percentile(ours, 99)],
  ]);
} finally {
  await worker.stop();
  bare.stop();
  bareHono.stop();
}
