/**
 * bench/persist: 50,000 events streamed through a job with persistence on, against the same
 * job with persistence off: what persistence costs the client, and how many HTTP requests
 * batching makes of it. Three times: with the reference DB API on embedded PostgreSQL; with a
 * DB API that keeps chunks in memory; and with one that only reads each request, so that no
 * database works on the two cores the worker, the CLI and the client share, which leaves the
 * worker's own cost. Each DB API runs in a process of its own, as a user's does, so the
 * client's event loop does not do the database's work.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, report } from './support/measure.js';
import { benchToken, startBenchWorker } from './support/harness.js';
import { createParser } from 'eventsource-parser';

const events = Number(process.env.BENCH_EVENTS ?? 50_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 8);

async function job(url: string, database?: { sessionId: string; accessToken: string }): Promise<{ ms: number; streamMs: number; terminal: Record<string, unknown> }> {
  const start = performance.now();
  const body = { userRequest: 'bench', codingAssistantProvider: 'claude-code', codingAssistantAccessToken: 'sk-ant-bench-token-000000', ...(database && { database }) };
  const response = await fetch(`${url}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${benchToken}` },
    body: JSON.stringify(body),
  });
  let terminal: Record<string, unknown> = {};
  let streamMs = 0;
  const parser = createParser({
    onEvent: (message) => {
      const data = JSON.parse(message.data) as Record<string, unknown>;
      if (data.type === 'completed' || data.type === 'error') terminal = data;
      else streamMs = performance.now() - start;
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  return { ms: performance.now() - start, streamMs, terminal };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

interface DbApi {
  pid: number;
  url: string;
  token: string;
  requests(): Promise<number>;
  close(): Promise<void>;
}

async function startDbApi(kind: 'memory' | 'reference' | 'drain'): Promise<DbApi> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./support/db-api-child.ts', import.meta.url)), [kind], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [{ url, token }] = (await once(child, 'message')) as [{ url: string; token: string }];
  return {
    pid: child.pid!,
    url,
    token,
    requests: async () => {
      child.send('requests');
      const [reply] = (await once(child, 'message')) as [{ requests: number }];
      return reply.requests;
    },
    close: async () => {
      child.send('close');
      await once(child, 'exit');
    },
  };
}

async function measure(name: string, api: DbApi): Promise<void> {
  const worker = await startBenchWorker(events, { DB_BASE_URL: api.url, DB_FLUSH_TIMEOUT_MS: '60000', DB_BATCH_SIZE: process.env.BENCH_BATCH ?? '1000' });
  try {
    // Warm both paths: the first job with persistence opens the DB API's connection.
    await job(worker.url);
    await job(worker.url, { sessionId: `bench-warm-${Date.now()}`, accessToken: api.token });
    const off: number[] = [];
    const on: number[] = [];
    const offStream: number[] = [];
    const onStream: number[] = [];
    const offCpu: number[] = [];
    const onCpu: number[] = [];
    const apiCpu: number[] = [];
    // Each round's on/off pair, as a ratio: the machine's drift between rounds cancels out.
    const pairedStream: number[] = [];
    const pairedCpu: number[] = [];
    let requests = 0;
    let persistence: unknown;
    const plainJob = async (): Promise<void> => {
      const cpu = cpuMs(worker.pid);
      const plain = await job(worker.url);
      offCpu.push(cpuMs(worker.pid) - cpu);
      off.push(plain.ms);
      offStream.push(plain.streamMs);
    };
    const persistedJob = async (i: number): Promise<void> => {
      const before = await api.requests();
      const cpu = cpuMs(worker.pid);
      const apiBefore = cpuMs(api.pid);
      const result = await job(worker.url, { sessionId: `bench-${i}-${Date.now()}`, accessToken: api.token });
      onCpu.push(cpuMs(worker.pid) - cpu);
      apiCpu.push(cpuMs(api.pid) - apiBefore);
      on.push(result.ms);
      onStream.push(result.streamMs);
      requests = (await api.requests()) - before;
      persistence = result.terminal.persistence;
    };
    for (let i = 0; i < rounds; i++) {
      // Which goes first alternates, so neither is always the one after a job that grew the heap.
      if (i % 2 === 0) {
        await plainJob();
        await persistedJob(i);
      } else {
        await persistedJob(i);
        await plainJob();
      }
      pairedStream.push(onStream.at(-1)! / offStream.at(-1)!);
      pairedCpu.push(onCpu.at(-1)! / offCpu.at(-1)!);
    }
    report(`persist (${name}): ${events} events, client time to the last event before the terminal one`, [
      ['persistence off', median(offStream)],
      ['persistence on', median(onStream)],
    ]);
    report(`persist (${name}): ${events} events, client time to the terminal event (which waits for the database)`, [
      ['persistence off', median(off)],
      ['persistence on', median(on)],
    ]);
    report(`persist (${name}): ${events} events, the worker's own CPU time for the job (user + system)`, [
      ['persistence off', median(offCpu)],
      ['persistence on', median(onCpu)],
    ]);
    const spread = (ratios: number[]): string => `${median(ratios).toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}x)`;
    console.log(`  median of the ${rounds} rounds' own on/off ratios: stream ${spread(pairedStream)}, worker CPU ${spread(pairedCpu)}`);
    console.log(`  the DB API's own CPU time for the job: ${Math.round(median(apiCpu))} ms, on the same cores`);
    console.log(`  DB API requests during one job: ${requests} (batching); terminal reported ${JSON.stringify(persistence)}; target: under 1.10x`);
  } finally {
    await worker.stop();
    await api.close();
  }
}

// BENCH_DB=reference, =memory or =drain runs only that one.
const only = process.env.BENCH_DB;
if (!only || only === 'reference') await measure(`reference DB API on ${process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, await startDbApi('reference'));
if (!only || only === 'memory') await measure('in-memory DB API', await startDbApi('memory'));
if (!only || only === 'drain') await measure('DB API that reads each request and stores nothing', await startDbApi('drain'));
