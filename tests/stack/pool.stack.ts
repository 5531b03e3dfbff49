import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkerClient } from '../../src/adapters/client/index.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

const run = promisify(execFile);
const url = process.env.STACK_URL!;
const stack = process.env.STACK_NAME!;
const workers = Number(process.env.STACK_WORKERS ?? 4);
const token = process.env.WORKER_API_TOKEN!;
const dbApi = { url: process.env.STACK_DB_API_URL!, token: process.env.STACK_DB_API_TOKEN! };
const docker = async (...args: string[]): Promise<string> => (await run('docker', args, { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();

/** A job whose prompt tells the stack's model server what to do ("[wait 3000]", "[hang]", "[run] cmd"). */
const body = (prompt: string) => ({ userRequest: prompt, codingAssistantProvider: 'claude-code', codingAssistantAccessToken: 'stack-test-provider-key' });

/** Runs a job through HAProxy: its HTTP status and its last event's type (or the body of a refusal). */
/** A worker id is its hostname, the container's short id, and its process id. */
const containerOf = (workerId: string): string => workerId.replace(/-\d+$/, '');

async function job(prompt: string): Promise<{ status: number; end: string; result?: string; workerId?: string | null }> {
  const response = await postExecute(url, body(prompt), { token });
  if (!response.ok) return { status: response.status, end: await response.text() };
  const events = await collectEvents(response);
  const last = events.at(-1)?.data as { type: string; result?: string } | undefined;
  return { status: response.status, end: last?.type ?? 'none', result: last?.result, workerId: response.headers.get('x-worker-id') };
}

const since = new Date().toISOString();

async function waitForReplicas(): Promise<void> {
  for (;;) {
    const replicas = await docker('service', 'ls', '--filter', `name=${stack}_worker`, '--format', '{{.Replicas}}');
    const [running, wanted] = replicas.split('/').map(Number);
    if (running === wanted && wanted === workers) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

describe(`the Swarm stack: HAProxy and ${workers} one-job workers on a real engine`, () => {
  beforeAll(waitForReplicas);

  it('runs the worker image asked for, by digest, under tini as PID 1', async () => {
    const image = await docker('service', 'inspect', `${stack}_worker`, '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}');
    expect(image.startsWith(`${process.env.STACK_WORKER_IMAGE!.replace(/:[^:/]+$/, '')}@sha256:`)).toBe(true);
    const container = (await docker('ps', '--filter', `label=com.docker.swarm.service.name=${stack}_worker`, '--format', '{{.ID}}')).split('\n')[0]!;
    expect(await docker('exec', container, 'cat', '/proc/1/comm')).toBe('tini');
  });

  it(`runs ${3 * workers} concurrent jobs to completion: none meets a 503 or a 429`, async () => {
    const results = await Promise.all(Array.from({ length: 3 * workers }, () => job('[wait 3000] concurrent')));
    expect(results.map((r) => `${r.status} ${r.end}`)).toEqual(Array(3 * workers).fill('200 completed'));
  });

  it('runs 50 sequential jobs to completion', async () => {
    const ends: string[] = [];
    for (let i = 0; i < 50; i++) ends.push(`${(await job('sequential')).end}`);
    expect(ends).toEqual(Array(50).fill('completed'));
  });

  it('serves clients that each send their next job the moment the last one ends', async () => {
    const rounds = await Promise.all(
      Array.from({ length: workers }, async () => {
        const ends: string[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await job('[wait 1000] back to back');
          ends.push(`${r.status} ${r.end}`);
        }
        return ends;
      }),
    );
    expect(rounds.flat()).toEqual(Array(4 * workers).fill('200 completed'));
  });

  it('holds a request that arrives while every worker is busy, and completes it', async () => {
    await waitForReplicas();
    const busy = Array.from({ length: workers }, () => job('[wait 6000] occupying'));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const late = await job('late');
    expect(`${late.status} ${late.end}`).toBe('200 completed');
    expect((await Promise.all(busy)).map((r) => r.end)).toEqual(Array(workers).fill('completed'));
  });

  it("lets the agent write its workspace, but not read the worker's secrets or gain privileges", async () => {
    const r = await job('[run] echo written > note.txt && cat note.txt; cat /run/secrets/worker_api_token 2>&1 | head -c 60; echo; grep NoNewPrivs /proc/self/status');
    expect(r.end).toBe('completed');
    expect(r.result).toContain('written');
    expect(r.result).toContain('Permission denied');
    expect(r.result).not.toContain(token);
    expect(r.result).toMatch(/NoNewPrivs:\s*1/);
  });

  it('completes every job in flight through a rolling update (docker service update --force)', async () => {
    await waitForReplicas();
    const inFlight = Array.from({ length: workers }, () => job('[wait 8000] during an update'));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const update = docker('service', 'update', '--force', '--detach', `${stack}_worker`);
    const more = Array.from({ length: workers }, () => job('[wait 2000] arriving during the update'));
    await update;
    const results = await Promise.all([...inFlight, ...more]);
    expect(results.map((r) => `${r.status} ${r.end}`)).toEqual(Array(2 * workers).fill('200 completed'));
    for (;;) {
      const state = await docker('service', 'inspect', `${stack}_worker`, '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}');
      if (state === 'completed' || state === '') break;
      if (state.includes('rollback') || state === 'paused') throw new Error(`the update ended ${state}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

  it('a worker killed mid-job: the typed client reports WORKER_LOST, every other job completes, the replica is replaced', async () => {
    await waitForReplicas();
    const client = new WorkerClient({ baseUrl: url, apiToken: token });
    let victim: string | undefined;
    const seen: string[] = [];
    // Its outcome is taken at once: the rejection comes while the kill is still being sent.
    const outcome = (async () => {
      for await (const event of client.execute(body('[hang] killed'))) {
        seen.push(event.type);
        if (event.type === 'connected') victim = event.workerId;
      }
    })().then(() => 'ended without an error', (error: unknown) => error);
    while (!victim) await new Promise((resolve) => setTimeout(resolve, 100));
    const others = Array.from({ length: workers - 1 }, () => job('[wait 3000] beside the killed one'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await docker('kill', '--signal', 'KILL', containerOf(victim));
    expect(await outcome).toMatchObject({ code: 'WORKER_LOST' });
    expect(seen).not.toContain('completed');
    expect((await Promise.all(others)).map((r) => r.end)).toEqual(Array(workers - 1).fill('completed'));
    await waitForReplicas();
    expect((await job('after the kill')).end).toBe('completed');
  });

  it('a detached job outlives its client on a one-job replica: its end is read from the DB API, event for event', async () => {
    await waitForReplicas();
    const sessionId = `stack-detached-${Date.now()}`;
    const controller = new AbortController();
    const request = { ...body('[wait 4000] detached'), onDisconnect: 'continue', database: { sessionId, accessToken: dbApi.token } };
    const response = await postExecute(url, request, { token, signal: controller.signal });
    const jobId = response.headers.get('x-job-id')!;
    expect(response.headers.get('location')).toBe(`/jobs/${jobId}/events`);
    // Read the first bytes, then leave.
    await response.body!.getReader().read();
    controller.abort();
    // The pool sends readers to the DB API, whose stream follows the job live to its end.
    const pooled = await fetch(`${url}/jobs/${jobId}/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(pooled.status).toBe(404);
    expect(await pooled.text()).toContain('DB API');
    // The DB API knows the job once the worker's first batch (or its lease) has landed: 404 until then.
    let stored: Response;
    for (;;) {
      stored = await fetch(`${dbApi.url}/sessions/${sessionId}/events?jobId=${jobId}`, { headers: { authorization: `Bearer ${dbApi.token}` } });
      if (stored.status !== 404) break;
      await stored.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stored.status).toBe(200);
    const events = await collectEvents(stored);
    expect(events.map((event) => event.data.seq)).toEqual(events.map((_, i) => i));
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed', jobId });
    // The typed client reads the same from any point.
    const client = new WorkerClient({ baseUrl: url, apiToken: token });
    const tail = [];
    for await (const event of client.attach(jobId, { after: 2, dbApi: { baseUrl: dbApi.url, token: dbApi.token, sessionId } })) tail.push(event);
    expect(tail).toEqual(events.slice(3).map((event) => event.data));
  });

  it('a worker killed mid-job with a database: the DB API ends the job WORKER_LOST once its lease runs out, and the typed client reads it there', async () => {
    await waitForReplicas();
    const sessionId = `stack-lost-${Date.now()}`;
    const client = new WorkerClient({ baseUrl: url, apiToken: token });
    const request = { ...body('[hang] killed with a database'), onDisconnect: 'continue' as const, database: { sessionId, accessToken: dbApi.token } };
    const received: Array<{ type: string; seq: number; workerId?: string; code?: string }> = [];
    const following = (async () => {
      for await (const event of client.execute(request, { reattach: { dbApi: { baseUrl: dbApi.url }, fallbackAfterMs: 1000 } })) received.push(event as never);
    })();
    while (!received[0]?.workerId) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await docker('kill', '--signal', 'KILL', containerOf(received[0].workerId));
    await following;
    expect(received.map((event) => event.seq)).toEqual(received.map((_, i) => i));
    expect(received.at(-1)).toMatchObject({ type: 'error', code: 'WORKER_LOST', retryable: true });
    await waitForReplicas();
  });

  it('marked no task unhealthy during all of this', async () => {
    const events = await docker('events', '--since', since, '--until', new Date().toISOString(), '--filter', 'event=health_status', '--format', '{{.Status}} {{.Actor.Attributes.name}}');
    expect(events.split('\n').filter((line) => line.includes('unhealthy'))).toEqual([]);
  });
});
