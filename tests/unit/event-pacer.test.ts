import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalescedSeparator } from '../../src/domain/coalesce.js';
import type { JobEventBody } from '../../src/domain/job-event.js';
import { EventPacer, type PacerSettings } from '../../src/application/event-pacer.js';

const text = (value: string, sessionId: string | null = 's-1'): JobEventBody => ({ type: 'assistant_message', sessionId, item: { kind: 'text', text: value } });
const thought = (value: string): JobEventBody => ({ type: 'assistant_message', sessionId: 's-1', item: { kind: 'thinking', text: value } });
const call = (id: string): JobEventBody => ({ type: 'assistant_message', sessionId: 's-1', item: { kind: 'tool_call', id, name: 'Bash', input: {} } });

interface Sent {
  at: number;
  body: JobEventBody;
}

function pacer(settings: Partial<PacerSettings> = {}) {
  const sent: Sent[] = [];
  const events = new EventPacer(
    { perSecond: 10, maxItemChars: 10_000, ...settings },
    async (body, at) => void sent.push({ at, body }),
    () => Date.now(),
  );
  return { events, sent };
}

/** The most events sent in any window of one second. */
function busiestSecond(sent: Sent[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < sent.length; i++) {
    while (sent[i]!.at - sent[j]!.at >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

const texts = (sent: Sent[]): string[] =>
  sent.flatMap(({ body }) => (body.type === 'assistant_message' && body.item.kind === 'text' ? body.item.text.split(coalescedSeparator) : []));

describe('EventPacer', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('sends events under the limit at once and unchanged', async () => {
    const { events, sent } = pacer();
    for (let i = 0; i < 10; i++) await events.push(text(`t${i}`));
    expect(sent.map(({ body }) => body)).toEqual(Array.from({ length: 10 }, (_, i) => text(`t${i}`)));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lets every event through at once when the limit is 0', async () => {
    const { events, sent } = pacer({ perSecond: 0 });
    for (let i = 0; i < 5000; i++) await events.push(call(`c${i}`));
    expect(sent).toHaveLength(5000);
    expect(events.merged).toBe(0);
  });

  it('merges a flood of texts into few events, every text kept in order, within the limit', async () => {
    const { events, sent } = pacer({ perSecond: 10 });
    const produced = (async () => {
      for (let i = 0; i < 5000; i++) await events.push(text(`line ${i}`));
      await events.flush();
    })();
    await vi.runAllTimersAsync();
    await produced;
    expect(texts(sent)).toEqual(Array.from({ length: 5000 }, (_, i) => `line ${i}`));
    expect(sent.length).toBeLessThan(100);
    expect(events.merged).toBe(5000 - sent.length);
    expect(busiestSecond(sent)).toBeLessThanOrEqual(10);
  });

  it('keeps a merged text within maxItemChars, starting a new event instead', async () => {
    const { events, sent } = pacer({ perSecond: 1, maxItemChars: 100 });
    const produced = (async () => {
      for (let i = 0; i < 40; i++) await events.push(text('x'.repeat(30)));
      await events.flush();
    })();
    await vi.runAllTimersAsync();
    await produced;
    for (const { body } of sent) if (body.type === 'assistant_message' && body.item.kind === 'text') expect(body.item.text.length).toBeLessThanOrEqual(100);
    expect(texts(sent)).toHaveLength(40);
  });

  it('holds back the emitter, not memory, when events cannot merge', async () => {
    const { events, sent } = pacer({ perSecond: 10 });
    let pushed = 0;
    const produced = (async () => {
      for (let i = 0; i < 35; i++) {
        await events.push(call(`c${i}`));
        pushed += 1;
      }
      await events.flush();
    })();
    await vi.advanceTimersByTimeAsync(0);
    // Ten sent at once, one held (the queue holds a tenth of a second's worth): the emitter waits.
    expect(sent).toHaveLength(10);
    expect(pushed).toBe(11);
    await vi.runAllTimersAsync();
    await produced;
    expect(sent.map(({ body }) => (body as { item: { id: string } }).item.id)).toEqual(Array.from({ length: 35 }, (_, i) => `c${i}`));
    expect(busiestSecond(sent)).toBeLessThanOrEqual(10);
    expect(sent.at(-1)!.at - sent[0]!.at).toBeGreaterThanOrEqual(3000);
  });

  it('merges only consecutive items of one kind and one session, never a raw line', async () => {
    const { events, sent } = pacer({ perSecond: 1 });
    const raw: JobEventBody = { type: 'assistant_message', sessionId: 's-1', item: { kind: 'text', text: 'raw' }, raw: { line: 1 } };
    const sequence = [text('a'), text('b'), thought('c'), thought('d'), text('e', 's-2'), text('f'), raw, text('g'), call('h'), text('i')];
    const produced = (async () => {
      for (const body of sequence) await events.push(body);
      await events.flush();
    })();
    await vi.runAllTimersAsync();
    await produced;
    const said = sent.map(({ body }) => (body.type === 'assistant_message' && 'text' in body.item ? body.item.text : body.type));
    expect(said).toEqual(['a', 'b', `c${coalescedSeparator}d`, 'e', 'f', 'raw', 'g', 'assistant_message', 'i']);
  });

  it('paces every event type and sends held events before flush resolves', async () => {
    const { events, sent } = pacer({ perSecond: 2 });
    const messages: JobEventBody[] = ['a', 'b', 'c', 'd'].map((text) => ({ type: 'message', stage: 'provider', text }));
    const produced = (async () => {
      for (const body of messages) await events.push(body);
      await events.flush();
      return sent.length;
    })();
    await vi.runAllTimersAsync();
    expect(await produced).toBe(4);
    expect(sent.map(({ body }) => (body as { text: string }).text)).toEqual(['a', 'b', 'c', 'd']);
    expect(busiestSecond(sent)).toBeLessThanOrEqual(2);
  });

  it('answers the next push with the failure of a held event, instead of losing it', async () => {
    let sent = 0;
    const events = new EventPacer(
      { perSecond: 1, maxItemChars: 100 },
      async () => {
        if (++sent === 2) throw new Error('socket gone');
      },
      () => Date.now(),
    );
    await events.push(call('a'));
    await events.push(call('b'));
    const waiting = events.push(call('c'));
    await vi.runAllTimersAsync();
    await waiting;
    await expect(events.push(call('d'))).rejects.toThrow('socket gone');
    await expect(events.flush()).rejects.toThrow('socket gone');
  });
});
