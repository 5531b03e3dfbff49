import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JobRenderer } from '../../src/adapters/terminal/job-renderer.js';
import type { JobEvent } from '../../src/domain/job-event.js';

function rendered(events: JobEvent[]): string {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const renderer = new JobRenderer(out);
  for (const event of events) renderer.render(event);
  // Colours off or on, the words are what is checked.
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

const envelope = { seq: 9, jobId: 'job-1', timestamp: '2026-12-02T00:00:00.000Z' };

describe('the terminal summary', () => {
  it('says which budget stopped a job, what it used, and that a cost is an estimate', () => {
    const text = rendered([
      {
        type: 'error', code: 'BUDGET_EXCEEDED', message: 'the job used 0.31 USD, over its cost budget of 0.25', retryable: false,
        budget: 'cost', limit: 0.25, used: 0.31, sessionId: 's-1', usage: { inputTokens: 90_000, outputTokens: 2_000, costUsd: 0.31, costSource: 'estimated' }, ...envelope,
      },
    ]);
    expect(text).toContain('✖ BUDGET_EXCEEDED: the job used 0.31 USD, over its cost budget of 0.25');
    expect(text).toContain('session s-1, 90000 in / 2000 out tokens, $0.3100 (estimated)');
  });

  it("tells when a provider's usage limit resets, and a completed job stopped at its turn budget", () => {
    const limit = rendered([
      { type: 'error', code: 'USAGE_LIMIT', message: 'usage limit reached', retryable: true, resetAt: '2026-12-02T17:00:00.000Z', usage: { inputTokens: 1, outputTokens: 0 }, ...envelope },
    ]);
    expect(limit).toContain("the provider's limit resets at 2026-12-02T17:00:00.000Z");
    const turns = rendered([
      { type: 'completed', sessionId: 's-2', result: '', durationMs: 1200, numTurns: 3, usage: { inputTokens: 5, outputTokens: 6, costUsd: 0.02, costSource: 'reported' }, stopReason: 'turns', ...envelope },
    ]);
    expect(turns).toContain('✔ completed in 1.2 s, stopped at its turns budget');
    expect(turns).toContain('session s-2, 5 in / 6 out tokens, $0.0200');
    expect(turns).not.toContain('estimated');
  });
});
