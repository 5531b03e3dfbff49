/**
 * bench/stack-linger: what a one-job worker's linger (JOB_LINGER_MS) costs the pool, on the
 * deployed stack (`KEEP_STACK=1 deploy/test-stack.sh` first). Detached jobs whose clients leave
 * at once are the only ones a linger holds up; for each setting, the time from each such job's
 * end to its replica's replacement listening, against the same with ordinary jobs.
 * Env: STACK_URL, STACK_NAME, STACK_WORKERS, WORKER_API_TOKEN; BENCH_LINGERS ("0 5000").
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { median, report } from './support/measure.js';

const run = promisify(execFile);
const url = process.env.STACK_URL ?? 'http://127.0.0.1:18080';
const stack = process.env.STACK_NAME ?? 'uwstack';
const workers = Number(process.env.STACK_WORKERS ?? 4);
const token = process.env.WORKER_API_TOKEN ?? '';
const lingers = (process.env.BENCH_LINGERS ?? '0 5000').split(' ').map(Number);
const docker = async (...args: string[]) => (await run('docker', args, { maxBuffer: 256 * 1024 * 1024 })).stdout;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function poolWhole(): Promise<void> {
  for (;;) {
    const healthy = (await docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${stack}_worker`, '--filter', 'health=healthy')).split('\n').filter(Boolean);
    if (healthy.length >= workers) break;
    await sleep(250);
  }
  await sleep(2000);
}

/** A job through HAProxy; a detached one's client leaves at its first bytes. */
async function job(detached: boolean): Promise<void> {
  const controller = new AbortController();
  const response = await fetch(`${url}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ userRequest: '[wait 2000] linger bench', codingAssistantProvider: 'claude-code', codingAssistantAccessToken: 'stack-bench-provider-key', ...(detached && { onDisconnect: 'continue' }) }),
    signal: controller.signal,
  });
  const reader = response.body!.getReader();
  if (detached) {
    await reader.read();
    controller.abort();
    return;
  }
  while (!(await reader.read()).done);
}

/** Per replica slot: from a job's end ('job ended') to the replacement's 'listening', from the workers' logs. */
async function endToReplacement(since: string): Promise<number[]> {
  const logs = await docker('service', 'logs', '--since', since, `${stack}_worker`);
  const bySlot = new Map<string, Array<{ at: number; msg: string }>>();
  for (const line of logs.split('\n')) {
    const slot = /^\S+?\.(\d+)\./.exec(line)?.[1];
    const json = line.slice(line.indexOf('{'));
    if (!slot || !json.startsWith('{')) continue;
    const entry = JSON.parse(json) as { time?: string; msg?: string };
    if (entry.msg !== 'job ended' && entry.msg !== 'listening') continue;
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), { at: Date.parse(entry.time!), msg: entry.msg }]);
  }
  const gaps: number[] = [];
  for (const events of bySlot.values()) {
    events.sort((a, b) => a.at - b.at);
    events.forEach((event, i) => {
      if (event.msg !== 'job ended') return;
      const up = events.slice(i + 1).find((e) => e.msg === 'listening');
      if (up) gaps.push(up.at - event.at);
    });
  }
  return gaps;
}

async function measure(detached: boolean): Promise<number[]> {
  await poolWhole();
  const since = new Date().toISOString();
  await Promise.all(Array.from({ length: workers }, () => job(detached)));
  await sleep(20_000);
  await poolWhole();
  return endToReplacement(since);
}

const rows: Array<[string, number]> = [];
try {
  for (const linger of lingers) {
    await docker('service', 'update', '--quiet', '--env-add', `JOB_LINGER_MS=${linger}`, `${stack}_worker`);
    const ordinary = await measure(false);
    const detached = await measure(true);
    rows.push([`JOB_LINGER_MS=${linger}: ordinary job, end to replacement listening`, median(ordinary)]);
    rows.push([`JOB_LINGER_MS=${linger}: detached job, client gone, end to replacement listening`, median(detached)]);
  }
} finally {
  await docker('service', 'update', '--quiet', '--env-add', 'JOB_LINGER_MS=0', `${stack}_worker`);
}
report(`stack-linger: ${workers} one-job workers, median per replica`, rows);
