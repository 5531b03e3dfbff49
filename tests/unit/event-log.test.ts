import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpillingEventLogs } from '../../src/adapters/event-log/index.js';
import type { JobEventLog, LogRead } from '../../src/application/ports/event-log.port.js';

const json = (seq: number, text = 'x') => JSON.stringify({ type: 'message', seq, jobId: 'j', text });

/** Every frame's id from `after` on, read the way a reader does: batch after batch. */
async function readAll(log: JobEventLog, after: number, maxChars = 100): Promise<number[] | { gone: number }> {
  const ids: number[] = [];
  let cursor = after;
  for (;;) {
    const read: LogRead = await log.read(cursor, maxChars);
    if (read.kind === 'gone') return { gone: read.firstKept };
    if (read.kind === 'none') return ids;
    const found = [...read.run.frames.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(found[0]).toBe(read.run.from);
    expect(found.at(-1)).toBe(read.run.to);
    ids.push(...found);
    cursor = read.run.to;
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the spilling event log', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uw-log-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('replays from any point, gapless, with the newest events in memory and the rest in its file', async () => {
    // Blocks of about two frames, the unit memory moves by.
    const log = new SpillingEventLogs({ dir, memoryEvents: 5, memoryChars: 1 << 20, fileBytes: 1 << 20, blockBytes: 300 }).open('job-1');
    for (let seq = 0; seq < 50; seq++) log.append(seq, 'message', json(seq));
    expect(await readAll(log, -1)).toEqual(range(0, 49));
    expect(await readAll(log, 17)).toEqual(range(18, 49));
    expect(await readAll(log, 46)).toEqual(range(47, 49));
    expect(await readAll(log, 49)).toEqual([]);
    expect(await readdir(dir)).toEqual(['job-1.sse']);
    await log.discard();
    expect(await readdir(dir)).toEqual([]);
    expect(await log.read(10, 100)).toEqual({ kind: 'gone', firstKept: 50 });
  });

  it('reuses the blocks it has written out, replaying every frame exactly as appended', async () => {
    const log = new SpillingEventLogs({ dir, memoryEvents: 4, memoryChars: 1 << 20, fileBytes: 1 << 20, blockBytes: 300 }).open('job-r');
    const texts = Array.from({ length: 60 }, (_, seq) => String.fromCharCode(97 + (seq % 26)).repeat(40 + seq));
    for (let seq = 0; seq < texts.length; seq++) {
      log.append(seq, 'message', json(seq, texts[seq]));
      // Let the spilled blocks reach the file, so later frames go into the same memory again.
      if (seq % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    let frames = '';
    for (let cursor = -1; ; ) {
      const read = await log.read(cursor, 1 << 20);
      if (read.kind !== 'frames') break;
      frames += read.run.frames;
      cursor = read.run.to;
    }
    expect(frames).toBe(texts.map((text, seq) => `id: ${seq}\nevent: message\ndata: ${json(seq, text)}\n\n`).join(''));
  });

  it('bounds memory by characters as well as by events', async () => {
    const log = new SpillingEventLogs({ dir, memoryEvents: 1000, memoryChars: 1000, fileBytes: 1 << 20, blockBytes: 400 }).open('job-2');
    for (let seq = 0; seq < 20; seq++) log.append(seq, 'message', json(seq, 'y'.repeat(100)));
    expect(await readAll(log, -1, 1)).toEqual(range(0, 19));
    expect(await readdir(dir)).toEqual(['job-2.sse']);
  });

  it('answers gone, with the first event it keeps, once its file is full', async () => {
    const frameBytes = `id: 0\nevent: message\ndata: ${json(0)}\n\n`.length;
    // One frame a block: memory keeps the newest three, the file the first four.
    const one = { blockBytes: frameBytes * 3, memoryEvents: 3, memoryChars: 1 << 20 };
    const log = new SpillingEventLogs({ dir, ...one, fileBytes: frameBytes * 4 }).open('job-3');
    for (let seq = 0; seq < 30; seq++) log.append(seq, 'message', json(seq));
    const first = await log.read(-1, 1 << 20);
    expect(first.kind === 'frames' && [first.run.from, first.run.to]).toEqual([0, 3]);
    expect(await log.read(3, 100)).toEqual({ kind: 'gone', firstKept: 27 });
    expect(await readAll(log, -1)).toEqual({ gone: 27 });
    expect(await readAll(log, 26)).toEqual([27, 28, 29]);
    // Without a file at all, only memory is kept.
    const memoryOnly = new SpillingEventLogs({ dir, ...one, fileBytes: 0 }).open('job-4');
    for (let seq = 0; seq < 10; seq++) memoryOnly.append(seq, 'message', json(seq));
    expect(await memoryOnly.read(-1, 100)).toEqual({ kind: 'gone', firstKept: 7 });
  });

  it('holds its bounds under a 100,000-event job and still replays every event, in order', async () => {
    const log = new SpillingEventLogs({ dir, memoryEvents: 1000, memoryChars: 1 << 20, fileBytes: 1 << 30 }).open('job-big');
    for (let seq = 0; seq < 100_000; seq++) log.append(seq, 'assistant_message', json(seq, `line ${seq}`));
    log.end();
    let next = 0;
    let cursor = -1;
    for (;;) {
      const read = await log.read(cursor, 1 << 20);
      if (read.kind !== 'frames') break;
      for (const match of read.run.frames.matchAll(/^id: (\d+)$/gm)) expect(Number(match[1])).toBe(next++);
      cursor = read.run.to;
    }
    expect(next).toBe(100_000);
    await log.discard();
  });

  it('wakes a waiting reader on the next event and on the end', async () => {
    const log = new SpillingEventLogs({ dir, memoryEvents: 10, memoryChars: 1 << 20, fileBytes: 1 << 20 }).open('job-5');
    log.append(0, 'connected', json(0));
    const waiting = log.waitAfter(0, new AbortController().signal);
    let woke = false;
    void waiting.then(() => (woke = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(woke).toBe(false);
    log.append(1, 'message', json(1));
    await waiting;
    const ending = log.waitAfter(1, new AbortController().signal);
    log.end();
    await ending;
    expect(log.ended).toBe(true);
    const aborted = new AbortController();
    const never = new SpillingEventLogs({ dir, memoryEvents: 10, memoryChars: 1 << 20, fileBytes: 1 << 20 }).open('job-6').waitAfter(5, aborted.signal);
    aborted.abort();
    await never;
  });
});
