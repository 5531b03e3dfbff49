/**
 * bench/stack-pool: the deployed Swarm stack under load (run `KEEP_STACK=1 deploy/test-stack.sh`
 * first; it prints the variables below). Jobs per minute with N one-job workers against the
 * ideal N × 60 / (a job's time alone), for jobs of 10 s and of 60 s; each replica's turnover
 * (its worker stopping to its replacement listening, from the workers' logs); how long requests
 * waited for a worker (time to the stream's first byte, p95); a replica's memory idle and busy.
 * Env: STACK_URL, STACK_NAME, STACK_WORKERS, WORKER_API_TOKEN; BENCH_ROUNDS (3), BENCH_JOB_SECONDS ("10 60").
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { median, percentile, report } from './support/measure.js';

const run = promisify(execFile);
const url = process.env.STACK_URL ?? 'http://127.0.0.1:18080';
const stack = process.env.STACK_NAME ?? 'uwstack';
const workers = Number(process.env.STACK_WORKERS ?? 4);
const token = process.env.WORKER_API_TOKEN ?? '';
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const jobSeconds = (process.env.BENCH_JOB_SECONDS ?? '10 60').split(' ').map(Number);
const docker = async (...args: string[]) => (await run('docker', args, { maxBuffer: 256 * 1024 * 1024 })).stdout;

/** One job through HAProxy: ms to the first byte of the stream, and to its terminal event. */
async function job(prompt: string): Promise<{ firstByteMs: number; totalMs: number; end: string }> {
  const started = performance.now();
  const response = await fetch(`${url}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ userRequest: prompt, codingAssistantProvider: 'claude-code', codingAssistantAccessToken: 'stack-bench-provider-key' }),
  });
  const reader = response.body!.getReader();
  let firstByteMs = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    firstByteMs ||= performance.now() - started;
    text += Buffer.from(value).toString();
  }
  const end = /event: (completed|error)\n/.exec(text)?.[1] ?? `HTTP ${response.status}`;
  return { firstByteMs, totalMs: performance.now() - started, end };
}

/** Memory of each running worker container, in MB. */
async function workerMemory(): Promise<number[]> {
  const ids = (await docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${stack}_worker`)).split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const lines = (await docker('stats', '--no-stream', '--format', '{{.MemUsage}}', ...ids)).split('\n').filter(Boolean);
  return lines.map((line) => {
    const [amount, unit] = /([\d.]+)\s*([KMG]i?B)/.exec(line)!.slice(1);
    return Number(amount) * ({ KiB: 1 / 1024, MiB: 1, GiB: 1024, KB: 1 / 1000, MB: 1, GB: 1000 } as Record<string, number>)[unit!]!;
  });
}

/** Per replica slot: its worker's "stopped" to the next task's "listening", in ms. */
async function turnovers(since: string): Promise<number[]> {
  const logs = await docker('service', 'logs', '--since', since, `${stack}_worker`);
  const bySlot = new Map<string, Array<{ at: number; msg: string }>>();
  for (const line of logs.split('\n')) {
    const slot = /^\S+?\.(\d+)\./.exec(line)?.[1];
    const json = line.slice(line.indexOf('{'));
    if (!slot || !json.startsWith('{')) continue;
    const entry = JSON.parse(json) as { time?: string; msg?: string };
    if (entry.msg !== 'stopped' && entry.msg !== 'listening') continue;
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), { at: Date.parse(entry.time!), msg: entry.msg }]);
  }
  const gaps: number[] = [];
  for (const events of bySlot.values()) {
    events.sort((a, b) => a.at - b.at);
    for (let i = 1; i < events.length; i++) if (events[i - 1]!.msg === 'stopped' && events[i]!.msg === 'listening') gaps.push(events[i]!.at - events[i - 1]!.at);
  }
  return gaps;
}

const since = new Date().toISOString();
const idleMemory = await workerMemory();
let busyMemory: number[] = [];
for (const seconds of jobSeconds) {
  const prompt = `[wait ${seconds * 1000}] bench`;
  const alone = await job(prompt);
  const jobs = workers * rounds;
  const started = performance.now();
  const sampling = new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 2)).then(async () => (busyMemory = await workerMemory()));
  const results = await Promise.all(Array.from({ length: jobs }, () => job(prompt)));
  await sampling;
  const minutes = (performance.now() - started) / 60_000;
  const failed = results.filter((r) => r.end !== 'completed').length;
  report(`stack-pool: ${jobs} jobs of ${seconds} s through HAProxy and ${workers} one-job workers (${failed} not completed)`, [
    [`ideal jobs/min (${workers} x 60 / ${(alone.totalMs / 1000).toFixed(1)} s alone)`, (workers * 60_000) / alone.totalMs],
    ['measured jobs/min', jobs / minutes],
  ], '/min');
  const waits = results.map((r) => r.firstByteMs);
  report(`stack-pool: wait for a worker (first byte), ${jobs} jobs of ${seconds} s`, [
    ['a job alone', alone.firstByteMs],
    ['median under load', median(waits)],
    ['p95 under load', percentile(waits, 95)],
  ]);
}
const gaps = await turnovers(since);
report(`stack-pool: turnover, a worker stopping to its replacement listening (${gaps.length} replacements)`, [
  ['median', median(gaps)],
  ['p95', percentile(gaps, 95)],
]);
report('stack-pool: worker container memory (median of the replicas)', [
  ['idle', median(idleMemory)],
  ['during a job', median(busyMemory)],
], 'MB');
