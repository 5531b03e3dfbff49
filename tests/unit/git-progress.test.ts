import { describe, expect, it } from 'vitest';
import type { RepoProgress } from '../../src/application/ports/repo.port.js';
import { parseMeter, progressReader } from '../../src/adapters/repo/git-progress.js';
import { ProgressReporter } from '../../src/adapters/repo/progress-reporter.js';

describe('parseMeter', () => {
  it("reads git's meters, the remote's padded ones and the final one with its totals", () => {
    expect(parseMeter('remote: Counting objects:  45% (10/22)        ')).toEqual({ phase: 'counting objects', percent: 45, processed: 10, total: 22 });
    expect(parseMeter('Receiving objects: 100% (22/22), 16.00 KiB | 16.00 MiB/s, done.')).toEqual({ phase: 'receiving objects', percent: 100, processed: 22, total: 22 });
    expect(parseMeter('Updating files:   0% (1/600)')).toEqual({ phase: 'updating files', percent: 0, processed: 1, total: 600 });
    expect(parseMeter('Checking out files:  50% (3/6)')).toMatchObject({ phase: 'updating files', percent: 50 });
  });

  it('reads no meter the server could fake, nor a phase it does not know', () => {
    expect(parseMeter('remote: Receiving objects: 100% (1/1)')).toBeUndefined();
    expect(parseMeter('Counting objects: 100% (1/1)')).toBeUndefined();
    expect(parseMeter('remote: Enumerating objects: 22, done.')).toBeUndefined();
    expect(parseMeter('Writing objects: 100% (3/3)')).toBeUndefined();
    expect(parseMeter('Receiving objects: 900% (1/1)')).toBeUndefined();
    expect(parseMeter("Cloning into '/tmp/ws'...")).toBeUndefined();
  });
});

describe('progressReader', () => {
  it('returns every meter of a chunk, and a meter cut between chunks once whole', () => {
    const read = progressReader();
    expect(read('Receiving objects:  50% (1/2)\rReceiving objects: 100% (2/2)\rReceiving objects: 100% (2/2), done.\nResolving del')).toEqual([
      { phase: 'receiving objects', percent: 50, processed: 1, total: 2 },
      { phase: 'receiving objects', percent: 100, processed: 2, total: 2 },
      { phase: 'receiving objects', percent: 100, processed: 2, total: 2 },
    ]);
    expect(read('tas: 100% (1/1)\r')).toEqual([{ phase: 'resolving deltas', percent: 100, processed: 1, total: 1 }]);
  });
});

describe('ProgressReporter', () => {
  const setup = (intervalMs = 100) => {
    const sent: RepoProgress[] = [];
    let now = 0;
    const reporter = new ProgressReporter((p) => sent.push(p), intervalMs, () => now);
    return { sent, reporter, advance: (ms: number) => (now += ms) };
  };
  const meter = (phase: 'receiving objects' | 'updating files' | 'resolving deltas', percent: number, total = 100) => ({ phase, percent, processed: percent, total });

  it("opens each phase at 0, reports at most once an interval, and always reports the phase's 100", async () => {
    const { sent, reporter, advance } = setup();
    await reporter.step('fetch', async () => {
      reporter.line(meter('receiving objects', 10));
      reporter.line(meter('receiving objects', 20));
      advance(100);
      reporter.line(meter('receiving objects', 30));
      reporter.line(meter('receiving objects', 100));
      reporter.line(meter('resolving deltas', 100, 4));
    });
    expect(sent.map((p) => [p.stage, p.phase, p.percent])).toEqual([
      ['fetch', 'receiving objects', 0],
      ['fetch', 'receiving objects', 30],
      ['fetch', 'receiving objects', 100],
      ['fetch', 'resolving deltas', 0],
      ['fetch', 'resolving deltas', 100],
    ]);
  });

  it("never reports a phase's percent below one already reported, even when git shows its meter again", async () => {
    const { sent, reporter, advance } = setup(0);
    await reporter.step('checkout', async () => {
      reporter.line(meter('updating files', 60));
      advance(1);
      reporter.line(meter('updating files', 40));
      reporter.line(meter('updating files', 100));
      reporter.line(meter('updating files', 10, 5));
      reporter.line(meter('updating files', 100, 5));
    });
    expect(sent.map((p) => p.percent)).toEqual([0, 60, 100]);
  });

  it('ends at 100 each phase git left below it when git succeeds, and none when git fails', async () => {
    const { sent, reporter } = setup();
    await reporter.step('fetch', async () => reporter.line(meter('receiving objects', 5, 40)));
    expect(sent.at(-1)).toEqual({ stage: 'fetch', phase: 'receiving objects', percent: 100, processed: 40, total: 40 });

    const failing = setup();
    const step = failing.reporter.step('fetch', async () => {
      failing.reporter.line(meter('receiving objects', 5, 40));
      throw new Error('network');
    });
    await expect(step).rejects.toThrow('network');
    expect(failing.sent.map((p) => p.percent)).toEqual([0]);
  });

  it("reports a clone's file meter as the checkout stage, and a stage git showed no meter for as 0 then 100", async () => {
    const { sent, reporter } = setup(0);
    await reporter.step('clone', async () => reporter.line(meter('updating files', 100, 3)), ['clone', 'checkout']);
    await reporter.step('fetch', async () => undefined);
    expect(sent.map((p) => [p.stage, p.phase, p.percent, p.total])).toEqual([
      ['checkout', 'updating files', 0, 3],
      ['checkout', 'updating files', 100, 3],
      ['clone', 'receiving objects', 0, 0],
      ['clone', 'receiving objects', 100, 0],
      ['fetch', 'receiving objects', 0, 0],
      ['fetch', 'receiving objects', 100, 0],
    ]);
  });
});
