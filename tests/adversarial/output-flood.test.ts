import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createParser } from 'eventsource-parser';
import { coalescedSeparator } from '../../src/domain/coalesce.js';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

// ~470 MB of stream-json, ~550 MB of SSE: far more than the worker's working set while it relays a
// flood, which stays flat however long the flood (110-160 MB over idle, Node 20 and 24, loaded or
// not: the young generation and buffers awaiting collection), so holding any large part shows.
const lines = 1_000_000;
const text = 'x'.repeat(400);

/** Resident set size and its peak, in MiB, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

describe('a provider CLI that floods its output while the client reads slowly', () => {
  let dir: string | undefined;
  let fx: E2eFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A CLI that prints `count` text lines of stream-json as fast as the pipe takes them. */
  async function floodingCli(count: number): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'uw-flood-'));
    const cli = join(dir, 'claude');
    const line = JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text }] } });
    const result = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'flooded', num_turns: 1, session_id: 's-1', usage: { input_tokens: 1, output_tokens: 1 } });
    await writeFile(cli, `#!/bin/sh\ncat > /dev/null\nyes '${line}' | head -n ${count}\necho '${result}'\n`);
    await chmod(cli, 0o755);
    return cli;
  }

  it('relays every line in order, holding the CLI back instead of buffering (bounded memory)', async () => {
    // With no events-per-second limit, every line is its own event.
    fx = await startE2e({ CLAUDE_CODE_PATH: await floodingCli(lines), MAX_EVENTS_PER_SECOND: '0' });
    const before = memoryOf(fx.worker.pid);

    const response = await fetch(`${fx.worker.url}/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
      body: JSON.stringify(executeBody()),
    });
    let texts = 0;
    let last: { type: string; result?: string } | undefined;
    let seq = -1;
    let ordered = true;
    const parser = createParser({
      onEvent: (message) => {
        const data = JSON.parse(message.data) as { type: string; seq: number; item?: { kind: string } };
        ordered &&= data.seq === seq + 1;
        seq = data.seq;
        if (data.item?.kind === 'text') texts += 1;
        last = data;
      },
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    parser.feed(first.value ?? '');
    // The client stops reading: the worker must stop reading the CLI, not pile its output up.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const whilePaused = memoryOf(fx.worker.pid);
    for (let next = await reader.read(); !next.done; next = await reader.read()) parser.feed(next.value);
    const after = memoryOf(fx.worker.pid);

    expect(texts).toBe(lines);
    expect(ordered).toBe(true);
    expect(last).toMatchObject({ type: 'completed', result: 'flooded' });
    // Backpressure keeps the paused worker to a few tens of MiB, and the relay under half the stream.
    expect(whilePaused.rss - before.rss, JSON.stringify({ before, whilePaused, after })).toBeLessThan(100);
    expect(after.peak - before.rss, JSON.stringify({ before, whilePaused, after })).toBeLessThan(250);
  }, 120_000);

  it('merges the flood into few events within MAX_EVENTS_PER_SECOND, every text kept in order', async () => {
    const count = 50_000;
    const limit = 200;
    fx = await startE2e({ CLAUDE_CODE_PATH: await floodingCli(count), MAX_EVENTS_PER_SECOND: String(limit) });
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));

    expect(events.at(-1)?.data).toMatchObject({ type: 'completed', result: 'flooded' });
    expect(events.map((event) => event.data.seq)).toEqual(events.map((_, i) => i));
    const items = events.flatMap((event) => (event.data.item ? [event.data.item as { kind: string; text?: string }] : []));
    const said = items.filter((item) => item.kind === 'text').flatMap((item) => item.text!.split(coalescedSeparator));
    expect(said).toHaveLength(count);
    expect(said.every((each) => each === text)).toBe(true);
    expect(events.length).toBeLessThan(count / 20);
    // No second of the stream, by the worker's own timestamps, carries more than the limit.
    const times = events.slice(0, -1).map((event) => Date.parse(event.data.timestamp as string));
    let busiest = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(limit);
    await fx.worker.logged('job ended');
    const metrics = await (await fetch(`${fx.worker.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`unified_worker_coalesced_events_total\\{provider="claude-code"\\} ${count - items.filter((item) => item.kind === 'text').length}\\b`));
  }, 120_000);
});
