import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createParser } from 'eventsource-parser';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';

const lines = 300_000;
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

  it('relays every line in order, holding the CLI back instead of buffering (bounded memory)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'uw-flood-'));
    const cli = join(dir, 'claude');
    // ~140 MB of stream-json, as fast as the pipe takes it.
    const line = JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text }] } });
    const result = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'flooded', num_turns: 1, session_id: 's-1', usage: { input_tokens: 1, output_tokens: 1 } });
    await writeFile(cli, `#!/bin/sh\ncat > /dev/null\nyes '${line}' | head -n ${lines}\necho '${result}'\n`);
    await chmod(cli, 0o755);
    fx = await startE2e({ CLAUDE_CODE_PATH: cli });
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
    // Buffering the flood would cost several hundred MiB; backpressure keeps it to a few tens.
    expect(whilePaused.rss - before.rss, JSON.stringify({ before, whilePaused, after })).toBeLessThan(100);
    expect(after.peak - before.rss, JSON.stringify({ before, whilePaused, after })).toBeLessThan(150);
  }, 120_000);
});
