/**
 * bench/pool: jobs per minute through HAProxy with K one-job workers (the real claude CLI, a
 * model that answers in 1 s) against the ideal K × 60 / job time, and what the balancer adds
 * to the first event, against the same request sent straight to a worker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietClaudeEnv } from '../tests/support/claude-harness.js';
import { freeWorkerPorts, PoolSupervisor, startHaproxy } from '../tests/support/pool-supervisor.js';
import { startScriptedAnthropic } from '../tests/support/scripted-anthropic.js';
import { median, report } from './support/measure.js';
import { benchToken, runJob } from './support/harness.js';

const workers = Number(process.env.BENCH_WORKERS ?? 4);
const jobs = Number(process.env.BENCH_JOBS ?? 16);
const answerMs = 1000;

const root = await mkdtemp(join(tmpdir(), 'uw-bench-pool-'));
const model = await startScriptedAnthropic();
const envFor = (ephemeral: boolean) => (slot: number) => ({
  ...quietClaudeEnv,
  WORKER_API_TOKEN: benchToken,
  HOST: '127.0.0.1',
  WORKSPACE_DIR: join(root, `${ephemeral ? 'pool' : 'kept'}-${slot}`),
  ANTHROPIC_BASE_URL: model.url,
  CLAUDE_CODE_MAX_RETRIES: '0',
  EXIT_AFTER_JOB: String(ephemeral),
  LOG_LEVEL: 'info',
});
const reply = (delayMs: number) => ({ kind: 'text' as const, text: 'ok', delayMs });

try {
  // Throughput: K ephemeral workers, restarted after each job, behind HAProxy.
  const pool = new PoolSupervisor(envFor(true));
  const ports = await freeWorkerPorts(workers);
  await pool.start(ports);
  const haproxy = await startHaproxy(root, ports);
  const single: number[] = [];
  for (let i = 0; i < 3; i++) {
    model.script([reply(answerMs)]);
    single.push((await runJob(haproxy.url)).totalMs);
  }
  const jobMs = median(single);
  model.script(Array.from({ length: jobs }, () => reply(answerMs)));
  const started = performance.now();
  await Promise.all(Array.from({ length: jobs }, () => runJob(haproxy.url)));
  const perMinute = jobs / ((performance.now() - started) / 60_000);
  const ideal = (workers * 60_000) / jobMs;
  report(`pool: ${jobs} jobs through HAProxy and ${workers} one-job workers (a job alone: ${jobMs.toFixed(0)} ms)`, [
    ['ideal jobs per minute (K x 60 / job time)', ideal],
    ['measured jobs per minute', perMinute],
  ], '/min');
  await pool.stop('SIGKILL');
  await haproxy.stop();

  // Latency: one kept-up worker, straight and through the same HAProxy configuration.
  const kept = new PoolSupervisor(envFor(false));
  const ports1 = (await freeWorkerPorts(1))[0]!;
  const port = ports1.port;
  await kept.start([ports1]);
  const lb = await startHaproxy(root, [ports1]);
  const direct: number[] = [];
  const balanced: number[] = [];
  for (let i = 0; i < 20; i++) {
    model.script([reply(0), reply(0)]);
    direct.push((await runJob(`http://127.0.0.1:${port}`)).firstByteMs);
    balanced.push((await runJob(lb.url)).firstByteMs);
  }
  report('pool: first byte of the stream, median of 20', [
    ['straight to the worker', median(direct)],
    ['through HAProxy', median(balanced)],
  ]);
  await kept.stop('SIGKILL');
  await lb.stop();
} finally {
  await model.close();
  await rm(root, { recursive: true, force: true });
}
