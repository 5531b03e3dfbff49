/**
 * bench/cpu: the worker's own CPU per real Claude Code job (the claude CLI against the scripted
 * model server), against a minimal node program that spawns the same CLI with the same argv and
 * environment and relays its lines as SSE (bench/support/minimal-relay.mjs). The worker runs as
 * shipped (LOG_LEVEL=info, its credential proxy on) and once more with CREDENTIAL_PROXY=false,
 * which hands the CLI the key and the model's address as the relay does. Each is one
 * long-running process serving the jobs one after another; its CPU is user + system time of
 * that process alone, from /proc/<pid>/stat (utime and stime count every thread of the process
 * and none of its children: the CLI's CPU lands in cutime and cstime once it is reaped, shown
 * apart as a check). Two jobs: a text answer, and a Write then a Read tool call before one.
 * BENCH_ROUNDS rounds (5) of BENCH_JOBS jobs (10) each, after warm-up jobs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { claudeExecutable, quietClaudeEnv } from '../tests/support/claude-harness.js';
import { cwdOf, startScriptedAnthropic, type ScriptedReply } from '../tests/support/scripted-anthropic.js';
import { startWorker } from '../tests/support/worker-process.js';
import { median } from './support/measure.js';
import { benchToken, jobBody } from './support/harness.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const jobsPerRound = Number(process.env.BENCH_JOBS ?? 10);
const warmUp = 3;
// The same token the worker's jobs bring (bench/support/harness.ts jobBody).
const apiKey = 'sk-ant-bench-token-000000';
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

const model = await startScriptedAnthropic();
const root = await mkdtemp(join(tmpdir(), 'uw-bench-cpu-'));

const startBenchWorker = async (name: string, env: Record<string, string> = {}) => {
  const worker = await startWorker({
    env: {
      ...quietClaudeEnv,
      WORKER_API_TOKEN: benchToken,
      HOST: '127.0.0.1',
      WORKSPACE_DIR: join(root, name),
      ANTHROPIC_BASE_URL: model.url,
      CLAUDE_CODE_MAX_RETRIES: '0',
      EXIT_AFTER_JOB: 'false',
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  process.once('exit', () => {
    try {
      process.kill(-worker.pid, 'SIGKILL');
    } catch {
      // Already stopped.
    }
  });
  return worker;
};
const worker = await startBenchWorker('worker');
// The relay hands the CLI the key and the model's address, as the worker did before its
// credential proxy: this one shows what the worker costs without the proxy.
const direct = await startBenchWorker('direct', { CREDENTIAL_PROXY: 'false' });
const relay = await startRelay();

interface Contender {
  name: string;
  pid: number;
  job: () => Promise<unknown>;
}

const contenders: Contender[] = [
  { name: 'minimal relay', pid: relay.pid, job: () => relayJob(relay.url) },
  { name: 'worker', pid: worker.pid, job: () => workerJob(worker.url) },
  { name: 'worker, no proxy', pid: direct.pid, job: () => workerJob(direct.url) },
];

const jobs: Array<{ name: string; script: () => ScriptedReply[] }> = [
  { name: 'text answer', script: () => [{ kind: 'text', text: 'ok' }] },
  {
    name: 'Write + Read tool calls',
    script: () => [
      { kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request) ?? '.', 'notes.txt'), content: 'bench\n'.repeat(50) }) },
      { kind: 'tool_use', name: 'Read', input: (request) => ({ file_path: join(cwdOf(request) ?? '.', 'notes.txt') }) },
      { kind: 'text', text: 'ok' },
    ],
  },
];

/** utime + stime (fields 14, 15) and cutime + cstime (16, 17) of one process, in ms. */
function cpuOf(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: fields resume after the last ')', at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const ms = (ticks: number) => (ticks * 1000) / ticksPerSecond;
  return { own: ms(fields[11]! + fields[12]!), children: ms(fields[13]! + fields[14]!) };
}

async function measure(contender: Contender, job: (typeof jobs)[number], n: number): Promise<{ own: number; children: number }> {
  const before = cpuOf(contender.pid);
  for (let i = 0; i < n; i++) {
    model.script(job.script());
    await contender.job();
  }
  const after = cpuOf(contender.pid);
  return { own: (after.own - before.own) / n, children: (after.children - before.children) / n };
}

const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
const ms = (values: number[]) => `${median(values).toFixed(1)} ms (${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)})`;

try {
  for (const job of jobs) for (const contender of contenders) await measure(contender, job, warmUp);
  for (const job of jobs) {
    const own = new Map(contenders.map((c) => [c.name, [] as number[]]));
    const children = new Map(contenders.map((c) => [c.name, [] as number[]]));
    // Each round's own ratio to the relay, so that a busier round weighs on both sides alike.
    const ratios = new Map(contenders.slice(1).map((c) => [c.name, [] as number[]]));
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first: a neighbour's load then falls on all alike.
      const order = round % 2 ? [...contenders].reverse() : contenders;
      const perJob = new Map<string, number>();
      for (const contender of order) {
        const cpu = await measure(contender, job, jobsPerRound);
        own.get(contender.name)!.push(cpu.own);
        children.get(contender.name)!.push(cpu.children);
        perJob.set(contender.name, cpu.own);
      }
      for (const [name, values] of ratios) values.push(perJob.get(name)! / perJob.get('minimal relay')!);
    }
    console.log(`\nCPU of the serving process per real claude job (${job.name}), median of ${rounds} rounds of ${jobsPerRound} jobs (min–max)`);
    for (const contender of contenders) {
      console.log(`  ${contender.name.padEnd(18)} own ${ms(own.get(contender.name)!).padEnd(26)} the CLI's (children) ${ms(children.get(contender.name)!)}`);
    }
    for (const [name, values] of ratios) console.log(`  ${`${name} / relay`.padEnd(26)} ${median(values).toFixed(2)}x (${spread(values)} across rounds)`);
  }
} finally {
  await worker.stop();
  await direct.stop();
  relay.stop();
  await model.close();
  await rm(root, { recursive: true, force: true });
}

async function startRelay(): Promise<{ url: string; pid: number; stop: () => void }> {
  const dir = join(root, 'relay');
  await mkdir(dir, { recursive: true });
  const child = spawn(process.execPath, [fileURLToPath(new URL('./support/minimal-relay.mjs', import.meta.url))], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', CLI: claudeExecutable, ROOT: dir, MODEL_URL: model.url, API_KEY: apiKey },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [port] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  process.once('exit', () => child.kill('SIGKILL'));
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

/** Runs a job through the worker and checks that it completed. */
async function workerJob(url: string): Promise<void> {
  const response = await fetch(`${url}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${benchToken}` },
    body: jobBody,
  });
  const stream = await response.text();
  if (!stream.includes('\nevent: completed\n')) throw new Error(`the worker's job did not complete:\n${stream}`);
}

/** Runs a job through the relay and checks that the CLI's last line is a successful result. */
async function relayJob(url: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', body: 'bench' });
  const lines = (await response.text()).split('\n').filter((line) => line.startsWith('data: '));
  const result = JSON.parse(lines.at(-1)?.slice(6) ?? '{}') as { type?: string; subtype?: string };
  if (result.type !== 'result' || result.subtype !== 'success') throw new Error(`the relay's job did not succeed:\n${lines.join('\n')}`);
}
