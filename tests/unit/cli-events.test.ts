import { describe, expect, it } from 'vitest';
import type { ProviderEvent } from '../../src/application/ports/provider.port.js';
import { cliEvents } from '../../src/adapters/providers/cli-events.js';
import { CliProcess } from '../../src/adapters/providers/cli-process.js';
import type { OutputMapper } from '../../src/adapters/providers/mapped-output.js';

/** Each JSON line's `text` as a text item; a clean exit is a result. */
const textMapper: OutputMapper = {
  map: (raw) => [{ type: 'item', item: { kind: 'text', text: String((raw as { text?: unknown }).text) } }],
  verdict: (exit) => (exit.code === 0 ? { ok: true, outcome: { sessionId: null, result: 'done', numTurns: 1, usage: { inputTokens: 0, outputTokens: 0 } } } : undefined),
};

describe('cliEvents', () => {
  it('says so when the CLI prints a line too long to read, and goes on with the next ones', async () => {
    const signal = new AbortController().signal;
    const script = `echo '{"text":"one"}'; head -c 5000 /dev/zero | tr '\\\\0' x; echo; echo '{"text":"two"}'`;
    const cli = CliProcess.start({ command: '/bin/sh', args: ['-c', script], cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, maxLineBytes: 1000 }, signal);
    const events: ProviderEvent[] = [];
    for await (const batch of cliEvents({ cli, mapper: textMapper, signal, name: 'sh', install: 'sh', silenceMs: 0 })) events.push(...batch);
    const said = events.map((event) => (event.type === 'item' && event.item.kind === 'text' ? event.item.text : event.type === 'notice' ? 'notice' : event.type));
    expect(said).toEqual(['one', 'notice', 'two', 'exit', 'finished']);
    expect(events.find((event) => event.type === 'notice')).toMatchObject({ text: 'sh printed a line longer than the worker reads; it was passed over' });
  });
});
