import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { quietClaudeEnv } from '../support/claude-harness.js';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { processTexts } from '../support/processes.js';
import { startScriptedAnthropic, type ScriptedAnthropic } from '../support/scripted-anthropic.js';
import { postExecute, sseEvents, until, type ReceivedEvent } from '../support/sse-client.js';
import { projectRoot } from '../support/worker-process.js';

/**
 * The reader of the worker's log (a shell pipeline, a log shipper, the terminal of an SSH
 * session) goes away while a job runs, and every line the worker logs after that fails: EPIPE
 * on a pipe, EIO on a terminal that hung up. Logging must then go quiet; the job still ends for
 * its client, the slot is released, a one-job worker still exits.
 */
const statusOf = async (url: string) => ((await (await fetch(`${url}/status`)).json()) as { status: string }).status;

/** Resolves once /status answers `wanted`; the test's timeout bounds the wait. */
async function statusBecomes(url: string, wanted: string): Promise<void> {
  while ((await statusOf(url)) !== wanted) await new Promise((resolve) => setTimeout(resolve, 50));
}

const terminal = (event: { data: { type: string } }) => event.data.type === 'completed' || event.data.type === 'error';
// The model thinks for a while: the reader goes away while the job waits on it, and the rest of
// the job (its items, its verdict, the release of its slot) logs into the dead destination.
const slowAnswer = { kind: 'text' as const, text: 'answered after the reader left', delayMs: 1500 };
const firstItem = (event: ReceivedEvent) => event.data.type === 'assistant_message';

interface TerminalWorker {
  url: string;
  pid: number;
  /** Kills the terminal (util-linux `script`, holding the pty's master): the worker's stdio hangs up. */
  hangUp(): void;
  /** The worker's exit code, as the shell that started it saw it. */
  exitCode(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The worker with its stdin, stdout and stderr on a terminal, as an operator starts it over
 * SSH. It runs in a session of its own (setsid), so the hangup reaches it only as failed writes,
 * not as SIGHUP; the shell that started it outlives the hangup to note its exit code.
 */
async function startOnTerminal(env: Record<string, string>, statusFile: string): Promise<TerminalWorker> {
  const marker = randomUUID();
  const command = `trap '' HUP; setsid -w ${process.execPath} dist/worker.mjs; echo $? > ${statusFile}`;
  const tty: ChildProcess = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: '0', LOG_LEVEL: 'debug', UW_TEST_TERMINAL: marker, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const listening = new Promise<number>((resolve, reject) => {
    createInterface({ input: tty.stdout! }).on('line', (line) => {
      output.push(line);
      const port = /"port":(\d+).*"msg":"listening"/.exec(line)?.[1];
      if (port) resolve(Number(port));
    });
    tty.once('exit', () => reject(new Error(`the terminal ended before the worker listened:\n${output.join('\n')}`)));
  });
  const port = await listening;
  const pid = processTexts().find((p) => p.environ.includes(`UW_TEST_TERMINAL=${marker}`) && p.argv.startsWith(`${process.execPath} dist/worker.mjs`))?.pid;
  if (pid === undefined) throw new Error('the worker on the terminal was not found');
  const hangUp = () => void process.kill(tty.pid!, 'SIGKILL');
  const exitCode = async (): Promise<number> => {
    while (!existsSync(statusFile) || readFileSync(statusFile, 'utf8') === '') await new Promise((resolve) => setTimeout(resolve, 50));
    return Number(readFileSync(statusFile, 'utf8'));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    hangUp,
    exitCode,
    close: async () => {
      if (tty.exitCode === null && tty.signalCode === null) hangUp();
      // By its pid only while that is still this worker: an exited one's pid may be another's by now.
      if (processTexts().some((p) => p.pid === pid && p.environ.includes(`UW_TEST_TERMINAL=${marker}`))) process.kill(pid, 'SIGKILL');
      // The shell notes the exit code into the test's directory: it is removed after that.
      await exitCode();
    },
  };
}

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('a worker whose log reader goes away mid-job', () => {
  describe('a pipe whose reader exits (EPIPE)', () => {
    let fx: E2eFixture | undefined;
    afterEach(async () => {
      await fx?.close();
      fx = undefined;
    });

    it('still ends the job completed for its client and goes back to idle', async () => {
      fx = await startE2e();
      fx.model.script([slowAnswer]);
      const events = sseEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
      await until(events, firstItem);
      fx.worker.child.stdout!.destroy();

      expect((await until(events, terminal)).data).toMatchObject({ type: 'completed' });
      await statusBecomes(fx.worker.url, 'idle');
    });
  });

  describe.skipIf(!hasScript)('a terminal that hangs up (EIO; needs util-linux script)', () => {
    let model: ScriptedAnthropic | undefined;
    let worker: TerminalWorker | undefined;
    let dir: string | undefined;
    const start = async (env: Record<string, string>) => {
      dir = await realpath(await mkdtemp(join(tmpdir(), 'uw-tty-')));
      const workspaceDir = join(dir, 'workspace');
      await mkdir(workspaceDir);
      model = await startScriptedAnthropic({ replies: [slowAnswer] });
      worker = await startOnTerminal({
        ...quietClaudeEnv,
        WORKER_API_TOKEN: apiToken,
        HOST: '127.0.0.1',
        WORKSPACE_DIR: workspaceDir,
        ANTHROPIC_BASE_URL: model.url,
        CLAUDE_CODE_MAX_RETRIES: '0',
        ...env,
      }, join(dir, 'exit-code'));
      return worker;
    };
    afterEach(async () => {
      await worker?.close();
      await model?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
      worker = model = dir = undefined;
    });

    it('still ends the job completed for its client and goes back to idle', async () => {
      const { url, hangUp } = await start({ EXIT_AFTER_JOB: 'false' });
      const events = sseEvents(await postExecute(url, executeBody(), { token: apiToken }));
      await until(events, firstItem);
      hangUp();

      expect((await until(events, terminal)).data).toMatchObject({ type: 'completed' });
      await statusBecomes(url, 'idle');
    });

    it('exits after its job as usual when it is a one-job worker', async () => {
      const { url, hangUp, exitCode } = await start({ EXIT_AFTER_JOB: 'true' });
      const events = sseEvents(await postExecute(url, executeBody(), { token: apiToken }));
      await until(events, firstItem);
      hangUp();

      expect((await until(events, terminal)).data).toMatchObject({ type: 'completed' });
      expect(await exitCode()).toBe(0);
    });
  });
});
