import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietClaudeEnv } from '../support/claude-harness.js';
import { apiToken, executeBody } from '../support/e2e-fixture.js';
import { accepts, freeWorkerPorts, PoolSupervisor, startHaproxy } from '../support/pool-supervisor.js';
import { processesInside } from '../support/processes.js';
import { startScriptedAnthropic, type ScriptedAnthropic } from '../support/scripted-anthropic.js';
import { collectEvents, postExecute, sseEvents, until } from '../support/sse-client.js';

const workers = 4;
const jobs = 16;

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe(`a pool of ${workers} one-job workers behind HAProxy`, () => {
  let root: string;
  let model: ScriptedAnthropic;
  let pool: PoolSupervisor;
  let haproxy: Awaited<ReturnType<typeof startHaproxy>>;
  beforeAll(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'uw-pool-')));
    model = await startScriptedAnthropic();
    pool = new PoolSupervisor((slot) => ({
      ...quietClaudeEnv,
      WORKER_API_TOKEN: apiToken,
      HOST: '127.0.0.1',
      WORKSPACE_DIR: join(root, `worker-${slot}`),
      ANTHROPIC_BASE_URL: model.url,
      CLAUDE_CODE_MAX_RETRIES: '0',
      EXIT_AFTER_JOB: 'true',
      HANDOFF_MS: '3000',
      LOG_LEVEL: 'info',
    }));
    const ports = await freeWorkerPorts(workers);
    await pool.start(ports);
    haproxy = await startHaproxy(root, ports);
  });
  afterAll(async () => {
    await pool?.stop('SIGKILL');
    await haproxy?.stop();
    await model?.close();
    await rm(root, { recursive: true, force: true });
  });

  it(`runs ${jobs} concurrent jobs, each on a process of its own, with no 429 and no connection error`, async () => {
    model.script(Array.from({ length: jobs }, () => ({ kind: 'text' as const, text: 'pooled', delayMs: 1000 })));
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: jobs }, async () => {
        const response = await postExecute(haproxy.url, executeBody(), { token: apiToken });
        return { status: response.status, events: response.ok ? await collectEvents(response) : [] };
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`${jobs} jobs through ${workers} workers in ${seconds.toFixed(1)} s (a job takes about 1.5 s)`);
    expect(results.map((result) => result.status)).toEqual(Array(jobs).fill(200));
    expect(results.map((result) => result.events.at(-1)?.data.type)).toEqual(Array(jobs).fill('completed'));
    const served = pool.instances.map((instance) => instance.jobs());
    expect(served.every((count) => count <= 1)).toBe(true);
    expect(served.reduce((a, b) => a + b, 0)).toBe(jobs);
  });

  it('clients that each send their next job the moment the last one ends all get served, while every worker turns over', async () => {
    const clients = workers;
    const rounds = 3;
    model.script(Array.from({ length: clients * rounds }, () => ({ kind: 'text' as const, text: 'again', delayMs: 300 })));
    const ends = await Promise.all(
      Array.from({ length: clients }, async () => {
        const seen: string[] = [];
        for (let round = 0; round < rounds; round += 1) {
          const response = await postExecute(haproxy.url, executeBody(), { token: apiToken });
          seen.push(response.ok ? String((await collectEvents(response)).at(-1)?.data.type) : `HTTP ${response.status}`);
        }
        return seen;
      }),
    );
    expect(ends.flat()).toEqual(Array(clients * rounds).fill('completed'));
  });

  /** Every replica back up and seen healthy by HAProxy (it checks each 500 ms): the pool is whole again. */
  async function poolRestored(): Promise<void> {
    await waitFor(() => pool.live().length === workers);
    for (const instance of pool.live()) while (!(await accepts(instance.port))) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 1200));
  }

  it('a worker killed mid-job leaves its client a broken stream to retry, and the pool recovers', async () => {
    await poolRestored();
    const asked = model.mainLoopRequests().length;
    model.script([{ kind: 'hang' }]);
    const events = sseEvents(await postExecute(haproxy.url, executeBody(), { token: apiToken }));
    await until(events, 'connected');
    await waitFor(() => model.mainLoopRequests().length > asked);
    const busy = pool.live().find((instance) => instance.jobs() === 1)!;
    process.kill(busy.worker.pid, 'SIGKILL');
    const rest: string[] = [];
    for (let next = await events.next().catch(() => ({ done: true as const, value: undefined })); !next.done; next = await events.next().catch(() => ({ done: true as const, value: undefined }))) {
      rest.push(next.value.data.type);
    }
    expect(rest).not.toContain('completed');
    expect(rest).not.toContain('error');
    model.dropHanging(); // the orphaned CLI's request fails, and it exits

    model.script([{ kind: 'text', text: 'retried' }]);
    const retry = await collectEvents(await postExecute(haproxy.url, executeBody(), { token: apiToken }));
    expect(retry.at(-1)?.data).toMatchObject({ type: 'completed', result: 'retried' });
  });

  it('SIGTERM to every worker ends the running jobs with WORKER_SHUTDOWN and leaves nothing running', async () => {
    await poolRestored();
    const asked = model.mainLoopRequests().length;
    model.script([{ kind: 'hang' }, { kind: 'hang' }]);
    const streams = await Promise.all([0, 1].map(async () => sseEvents(await postExecute(haproxy.url, executeBody(), { token: apiToken }))));
    for (const events of streams) await until(events, 'connected');
    await waitFor(() => model.mainLoopRequests().length >= asked + 2);
    const ended = Promise.all(streams.map((events) => until(events, 'error')));
    await pool.stop('SIGTERM');
    for (const event of await ended) expect(event.data).toMatchObject({ code: 'WORKER_SHUTDOWN' });
    model.dropHanging();
    await waitFor(() => processesInside(root).length === 0);
    expect(pool.live()).toEqual([]);
  });
});
