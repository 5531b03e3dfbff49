import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseEventSink } from '../../src/adapters/http/sse.event-sink.js';
import type { JobEvent } from '../../src/domain/job-event.js';

/** The part of Node's response the sink uses, keeping what was written. */
function response(): { res: ServerResponse; written: string[] } {
  const written: string[] = [];
  const res = {
    writableNeedDrain: false,
    writeHead: () => res,
    write: (text: string) => void written.push(text),
    end: () => undefined,
    once: () => res,
    on: () => res,
    off: () => res,
  };
  return { res: res as unknown as ServerResponse, written };
}

const event = (seq: number): JobEvent => ({ type: 'message', stage: 'provider', text: 'working', seq, jobId: 'j', timestamp: '2026-12-01T00:00:00.000Z' });

describe('SseEventSink heartbeat', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('sends a comment only once the stream has been quiet for the interval', async () => {
    const { res, written } = response();
    const sink = new SseEventSink(res, 1000);
    const heartbeats = () => written.filter((text) => text.includes(': keep-alive')).length;
    for (let seq = 0; seq < 8; seq++) {
      await sink.send(event(seq), JSON.stringify(event(seq)));
      await vi.advanceTimersByTimeAsync(400);
    }
    expect(heartbeats()).toBe(0);
    await vi.advanceTimersByTimeAsync(700);
    expect(heartbeats()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(heartbeats()).toBe(2);
    sink.close();
    await vi.advanceTimersByTimeAsync(5000);
    expect(heartbeats()).toBe(2);
  });
});
