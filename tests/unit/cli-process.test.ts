import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliProcess } from '../../src/adapters/providers/cli-process.js';
import { processesInside } from '../support/processes.js';

let dir: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'uw-cli-')));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const sh = (script: string, stdin?: string) => ({
  command: '/bin/sh',
  args: ['-c', script],
  cwd: dir,
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  ...(stdin === undefined ? {} : { stdin }),
});

async function lines(cli: CliProcess): Promise<string[]> {
  const out: string[] = [];
  for await (const line of cli.lines()) out.push(line);
  return out;
}

describe('CliProcess', () => {
  it('feeds stdin, reads stdout by line and keeps the stderr tail', async () => {
    const cli = CliProcess.start(sh('cat; echo oops >&2; exit 3', 'one\ntwo\n'), new AbortController().signal);
    expect(await lines(cli)).toEqual(['one', 'two']);
    expect(await cli.exit).toEqual({ code: 3, signal: null });
    expect(cli.stderrTail()).toBe('oops');
  });

  it('joins lines split across reads, a character split between its bytes included, and drops CRLF carriage returns', async () => {
    // é is C3 A9: the pause puts its two bytes in separate reads of the pipe.
    const script = String.raw`printf '{"a":"\303'; sleep 0.1; printf '\251"}\r\nmid'; sleep 0.1; printf 'dle\n\nlast'`;
    const cli = CliProcess.start(sh(script), new AbortController().signal);
    expect(await lines(cli)).toEqual(['{"a":"é"}', 'middle', '', 'last']);
  });

  it('passes over a line longer than maxLineBytes, across reads or within one, and keeps the lines around it', async () => {
    const long = (bytes: number) => `head -c ${bytes} /dev/zero | tr '\\0' x`;
    const script = `echo before; ${long(3000)}; sleep 0.05; ${long(3000)}; echo; echo middle; ${long(1500)}; echo; echo after`;
    const cli = CliProcess.start({ ...sh(script), maxLineBytes: 1000 }, new AbortController().signal);
    expect(await lines(cli)).toEqual(['before', 'middle', 'after']);
    expect(cli.droppedLines).toBe(2);
  });

  it('keeps a bounded stderr tail, even of one endless line', async () => {
    const cli = CliProcess.start(sh(`head -c 1000000 /dev/zero | tr '\\0' y >&2; echo >&2; echo last words >&2`), new AbortController().signal);
    await lines(cli);
    await cli.exit;
    const tail = cli.stderrTail().split('\n');
    expect(tail.at(-1)).toBe('last words');
    expect(cli.stderrTail().length).toBeLessThanOrEqual(8192);
  });

  it('gives the child only the environment it is handed', async () => {
    const cli = CliProcess.start(sh('env'), new AbortController().signal);
    const env = await lines(cli);
    expect(env.filter((line) => !line.startsWith('PWD=') && !line.startsWith('SHLVL=') && !line.startsWith('_='))).toEqual([
      `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`,
    ]);
  });

  it('on abort kills its whole tree, including a grandchild in a session of its own', async () => {
    const controller = new AbortController();
    const cli = CliProcess.start(sh('setsid sleep 300 & sleep 300 & echo started; wait'), controller.signal);
    const iterator = cli.lines()[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe('started');
    expect(processesInside(dir).length).toBeGreaterThanOrEqual(3);
    controller.abort();
    await cli.exit;
    await cli.kill();
    expect(processesInside(dir)).toEqual([]);
  });

  it('escalates to SIGKILL for a child that ignores SIGTERM', async () => {
    const controller = new AbortController();
    const cli = CliProcess.start(sh("trap '' TERM; echo ready; while :; do sleep 0.05; done"), controller.signal);
    const iterator = cli.lines()[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    expect((await cli.exit).signal).toBe('SIGKILL');
    await cli.kill();
    expect(processesInside(dir)).toEqual([]);
  });
});

describe('CliProcess watchdogs', () => {
  it('kills a CLI whose stdout stays silent while its reader waits, and says so', async () => {
    const cli = CliProcess.start({ ...sh('echo started; sleep 300'), silenceMs: 300 }, new AbortController().signal);
    expect(await lines(cli)).toEqual(['started']);
    expect(cli.stalled).toBe(true);
    await cli.kill();
    expect(processesInside(dir)).toEqual([]);
  });

  it('does not count the time its reader spends elsewhere as silence', async () => {
    const cli = CliProcess.start({ ...sh('for i in 1 2 3; do echo $i; done'), silenceMs: 200 }, new AbortController().signal);
    const seen: string[] = [];
    for await (const line of cli.lines()) {
      seen.push(line);
      // A slow consumer, as a slow client makes one.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(seen).toEqual(['1', '2', '3']);
    expect(cli.stalled).toBe(false);
  });

  it('reports an executable that cannot start, without its error message', async () => {
    const cli = CliProcess.start({ ...sh(''), command: '/nonexistent/claude' }, new AbortController().signal);
    expect(await lines(cli)).toEqual([]);
    await cli.exit;
    expect(cli.notStarted).toBe(true);
  });
});
