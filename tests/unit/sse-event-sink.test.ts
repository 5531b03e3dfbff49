import { once } from 'node:events';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseEventSink } from '../../src/adapters/http/sse.event-sink.js';
import type { JobEvent } from '../../src/domain/job-event.js';

const event = (seq: number): JobEvent => ({ type: 'message', stage: 'provider', text: `event ${seq}`, seq, jobId: 'j', timestamp: '2026-12-01T00:00:00.000Z' });

/** A real response on loopback: the sink is handed Node's own ServerResponse. */
async function realResponse(): Promise<{ res: ServerResponse; body: Promise<string>; close: () => void }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const arrived = once(server, 'request') as Promise<[unknown, ServerResponse]>;
  const body = new Promise<string>((resolve, reject) => {
    request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST' }, (answer) => {
      let text = '';
      answer.setEncoding('utf8').on('data', (part: string) => (text += part)).on('end', () => resolve(text));
    }).on('error', reject).end();
  });
  const [, res] = await arrived;
  return { res, body, close: () => server.close() };
}

describe('SseEventSink writes', () => {
  let close = (): void => undefined;
  afterEach(() => close());

  it('hands the first event to the socket before the promise jobs after it run, not at the next tick', async () => {
    const { res, body, close: stop } = await realResponse();
    close = stop;
    const sink = new SseEventSink(res, 60_000);
    await sink.send(event(0), JSON.stringify(event(0)));
    // Still in the same run of promise jobs: Node's own cork would hold the bytes until the next tick.
    expect(res.socket?.writableCorked).toBe(0);
    for (let seq = 1; seq < 4; seq++) await sink.send(event(seq), JSON.stringify(event(seq)));
    sink.end();
    const frames = (await body).split('\n\n').filter(Boolean);
    expect(frames.map((frame) => frame.split('\n')[0])).toEqual(['id: 0', 'id: 1', 'id: 2', 'id: 3']);
  });
});
