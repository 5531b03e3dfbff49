/**
 * bench/overhead: one real job (the claude CLI against the scripted model server, a text
 * answer) through the worker, request to terminal event, against running the same `claude -p`
 * directly, same mock, prompt on stdin, until it exits.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeExecutable, quietClaudeEnv } from '../tests/support/claude-harness.js';
import { startScriptedAnthropic } from '../tests/support/scripted-anthropic.js';
import { startWorker } from '../tests/support/worker-process.js';
import { median, report, timed } from './support/measure.js';
import { benchToken, runJob } from './support/harness.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const apiKey = 'sk-ant-bench.key.0000';

const model = await startScriptedAnthropic();
const root = await mkdtemp(join(tmpdir(), 'uw-bench-overhead-'));
const worker = await startWorker({
  env: {
    ...quietClaudeEnv,
    WORKER_API_TOKEN: benchToken,
    HOST: '127.0.0.1',
    WORKSPACE_DIR: join(root, 'worker'),
    ANTHROPIC_BASE_URL: model.url,
    CLAUDE_CODE_MAX_RETRIES: '0',
    EXIT_AFTER_JOB: 'false',
    LOG_LEVEL: 'info',
  },
});

async function direct(n: number): Promise<void> {
  const home = await mkdtemp(join(root, `home-${n}-`));
  const cwd = await mkdtemp(join(root, `ws-${n}-`));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(claudeExecutable, ['-p', '--output-format', 'stream-json', '--verbose', '--permission-mode=acceptEdits'], {
      cwd,
      env: {
        ...quietClaudeEnv,
        PATH: process.env.PATH ?? '',
        HOME: home,
        CLAUDE_CONFIG_DIR: join(home, '.claude'),
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: apiKey,
        CLAUDE_CODE_MAX_RETRIES: '0',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', () => resolve());
    child.stdin.end('bench');
  });
}

try {
  const baseline: number[] = [];
  const ours: number[] = [];
  await direct(0);
  await runJob(worker.url);
  for (let i = 1; i <= rounds; i++) {
    model.script([{ kind: 'text', text: 'ok' }]);
    baseline.push(await timed(() => direct(i)));
    model.script([{ kind: 'text', text: 'ok' }]);
    ours.push((await runJob(worker.url)).totalMs);
  }
  report(`overhead on a real claude job, median of ${rounds}`, [
    ['claude -p run directly', median(baseline)],
    ['the same job through the worker', median(ours)],
  ]);
} finally {
  await worker.stop();
  await model.close();
  await rm(root, { recursive: true, force: true });
}
