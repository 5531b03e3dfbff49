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

/** Until every replica is healthy (so listed in DNS) and HAProxy has had a moment to check it. */
async function poolWhole(): Promise<void> {
  for (;;) {
    const healthy = (await docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${stack}_worker`, '--filter', 'health=healthy')).split('\n').filter(Boolean);
    if (healthy.length >= workers) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
}

/**
 * Per replica slot, from the workers' logs: a worker stopping to its replacement listening, and
 * to its replacement's first job while requests were waiting (`busy`: when jobs were queued).
 */
async function turnovers(since: string, busy: Array<[number, number]>): Promise<{ listening: number[]; nextJob: number[] }> {
  const logs = await docker('service', 'logs', '--since', since, `${stack}_worker`);
  const bySlot = new Map<string, Array<{ at: number; msg: string }>>();
  for (const line of logs.split('\n')) {
    const slot = /^\S+?\.(\d+)\./.exec(line)?.[1];
    const json = line.slice(line.indexOf('{'));
    if (!slot || !json.startsWith('{')) continue;
    const entry = JSON.parse(json) as { time?: string; msg?: string };
    if (entry.msg !== 'stopped' && entry.msg !== 'listening' && entry.msg !== 'job started') continue;
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), { at: Date.parse(entry.time!), msg: entry.msg }]);
  }
  const listening: number[] = [];
  const nextJob: number[] = [];
  const loaded = (at: number) => busy.some(([from, to]) => at >= from && at <= to);
  for (const events of bySlot.values()) {
    events.sort((a, b) => a.at - b.at);
    for (let i = 0; i < events.length; i++) {
      if (events[i]!.msg !== 'stopped') continue;
      const up = events.slice(i + 1).find((e) => e.msg === 'listening');
      const job = events.slice(i + 1).find((e) => e.msg === 'job started');
      if (up) listening.push(up.at - events[i]!.at);
      if (job && loaded(events[i]!.at) && loaded(job.at)) nextJob.push(job.at - events[i]!.at);
    }
  }
  return { listening, nextJob };
}

const since = new Date().toISOString();
const busy: Array<[number, number]> = [];
await poolWhole();
const idleMemory = await workerMemory();
let busyMemory: number[] = [];
for (const seconds of jobSeconds) {
  const prompt = `[wait ${seconds * 1000}] bench`;
  await poolWhole();
  const alone = await job(prompt);
  await poolWhole();
  const jobs = workers * rounds;
  const started = performance.now();
  const loadedFrom = Date.now();
  const sampling = new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 2)).then(async () => (busyMemory = await workerMemory()));
  const results = await Promise.all(Array.from({ length: jobs }, () => job(prompt)));
  await sampling;
  // The last round waits for nobody: its replicas' turnover is not a loaded one.
  busy.push([loadedFrom, Date.now() - seconds * 1000]);
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
const { listening, nextJob } = await turnovers(since, busy);
report(`stack-pool: turnover, a worker stopping to its replacement listening (${listening.length} replacements)`, [
  ['median', median(listening)],
  ['p95', percentile(listening, 95)],
]);
report(`stack-pool: turnover under load, a worker stopping to its replacement's next job (${nextJob.length})`, [
  ['median', median(nextJob)],
  ['p95', percentile(nextJob, 95)],
]);
report('stack-pool: worker container memory (median of the replicas)', [
  ['idle', median(idleMemory)],
  ['during a job', median(busyMemory)],
], 'MB');
