import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startCuttingProxy } from '../support/cutting-proxy.js';
import { collectEvents, postExecute, sseEvents, until } from '../support/sse-client.js';

const auth = { authorization: `Bearer ${apiToken}` };

async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 25));
}

const jobState = async (url: string, jobId: string) => (await fetch(`${url}/jobs/${jobId}`, { headers: auth })).json() as Promise<Record<string, any>>;

/** Starts a detached job, reads until `stopAfter` events, then drops the connection. */
async function startAndLeave(fx: E2eFixture, stopAfter: number, body: Record<string, unknown> = {}) {
  const controller = new AbortController();
  const response = await postExecute(fx.worker.url, executeBody({ onDisconnect: 'continue', ...body }), { token: apiToken, signal: controller.signal });
  expect(response.status).toBe(200);
  const jobId = response.headers.get('x-job-id')!;
  expect(jobId).toMatch(/^[A-Za-z0-9._-]+$/);
  expect(response.headers.get('location')).toBe(`/jobs/${jobId}/events`);
  const events = sseEvents(response);
  const seen = [];
  for (let i = 0; i < stopAfter; i++) seen.push((await events.next()).value!);
  controller.abort();
  return { jobId, seen };
}

/** A claude CLI that prints `count` text lines of stream-json as fast as the pipe takes them. */
async function floodingCli(count: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'uw-long-job-'));
  const cli = join(dir, 'claude');
  const line = JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: 'x'.repeat(400) }] } });
  const result = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'long', num_turns: 1, session_id: 's-1', usage: { input_tokens: 1, output_tokens: 1 } });
  await writeFile(cli, `#!/bin/sh\ncat > /dev/null\nyes '${line}' | head -n ${count}\necho '${result}'\n`);
  await chmod(cli, 0o755);
  return cli;
}

describe('jobs that outlive their connection', () => {
  let fx: E2eFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('a detached job completes after its client left; a reattach with Last-Event-ID gets the rest exactly once, and two readers see the same', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'text', text: 'finished alone', delayMs: 1500 }]);
    const { jobId, seen } = await startAndLeave(fx, 3);
    expect(seen.map((event) => event.data.seq)).toEqual([0, 1, 2]);
    // Two readers join while the job runs, each from its own point.
    const readers = [
      fetch(`${fx.worker.url}/jobs/${jobId}/events`, { headers: auth }).then(collectEvents),
      fetch(`${fx.worker.url}/jobs/${jobId}/events?after=1`, { headers: auth }).then(collectEvents),
    ];
    await waitFor(async () => (await jobState(fx!.worker.url, jobId)).terminal !== undefined);
    const state = await jobState(fx.worker.url, jobId);
    expect(state).toMatchObject({ jobId, status: 'completed', provider: 'claude-code', startedAt: expect.any(String), endedAt: expect.any(String) });
    expect(state.terminal).toMatchObject({ type: 'completed', result: 'finished alone' });
    const reattached = await collectEvents(await fetch(`${fx.worker.url}/jobs/${jobId}/events`, { headers: { ...auth, 'last-event-id': '2' } }));
    const n = state.lastSeq as number;
    expect(reattached.map((event) => event.data.seq)).toEqual(Array.from({ length: n - 2 }, (_, i) => i + 3));
    expect(reattached.map((event) => Number(event.id))).toEqual(reattached.map((event) => event.data.seq));
    expect(reattached.at(-1)?.data).toMatchObject({ type: 'completed', result: 'finished alone' });
    const [all, fromTwo] = await Promise.all(readers);
    expect(all!.map((event) => event.raw)).toEqual([...seen.map((event) => event.raw), ...reattached.map((event) => event.raw)]);
    expect(fromTwo!.map((event) => event.raw)).toEqual(all!.slice(2).map((event) => event.raw));
    // The verdict was read: nothing more to send, which stops an EventSource reconnecting.
    const after = await fetch(`${fx.worker.url}/jobs/${jobId}/events?after=${n}`, { headers: auth });
    expect(after.status).toBe(204);
  });

  it('a client that leaves without detaching cancels its job, whose error carries the session and the usage so far', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'hang' }]);
    const controller = new AbortController();
    const response = await postExecute(fx.worker.url, executeBody(), { token: apiToken, signal: controller.signal });
    const jobId = response.headers.get('x-job-id')!;
    const events = sseEvents(response);
    await until(events, (event) => event.data.type === 'assistant_message');
    await waitFor(() => fx!.model.mainLoopRequests().length > 0);
    controller.abort();
    await waitFor(async () => (await jobState(fx!.worker.url, jobId)).terminal !== undefined);
    const { terminal } = await jobState(fx.worker.url, jobId);
    expect(terminal).toMatchObject({ type: 'error', code: 'CANCELLED', sessionId: expect.any(String), usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) } });
  });

  it('POST /jobs/{id}/cancel cancels that job; a second cancel answers 409', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'hang' }]);
    const response = await postExecute(fx.worker.url, executeBody(), { token: apiToken });
    const jobId = response.headers.get('x-job-id')!;
    const events = sseEvents(response);
    await until(events, 'connected');
    await waitFor(() => fx!.model.mainLoopRequests().length > 0);
    const cancel = await fetch(`${fx.worker.url}/jobs/${jobId}/cancel`, { method: 'POST', headers: auth });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toEqual({ status: 'cancelling', jobId });
    expect((await until(events, 'error')).data).toMatchObject({ code: 'CANCELLED' });
    await waitFor(async () => (await jobState(fx!.worker.url, jobId)).terminal !== undefined);
    const again = await fetch(`${fx.worker.url}/jobs/${jobId}/cancel`, { method: 'POST', headers: auth });
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).error.code).toBe('NO_RUNNING_JOB');
  });

  it('the npm eventsource client, its connection cut twice by a proxy, gets every event once and in order', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'text', text: 'through the cuts', delayMs: 1000 }]);
    const { jobId } = await startAndLeave(fx, 1);
    const proxy = await startCuttingProxy(fx.worker.url, 2, 2);
    try {
      const received: Array<{ id: string; data: any }> = [];
      const source = new EventSource(`${proxy.url}/jobs/${jobId}/events`, {
        fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...auth } }),
      });
      const done = new Promise<void>((resolve, reject) => {
        for (const type of ['connected', 'message', 'assistant_message', 'completed', 'error']) {
          source.addEventListener(type, (event) => {
            // The stream's own `error` events carry data; EventSource's connection errors do not.
            if (event.data === undefined) return;
            received.push({ id: event.lastEventId, data: JSON.parse(event.data) });
            if (type === 'completed' || type === 'error') resolve();
          });
        }
        setTimeout(() => reject(new Error(`timed out with ${received.length} events`)), 30_000);
      });
      await done;
      source.close();
      expect(proxy.connections()).toBeGreaterThanOrEqual(3);
      const seqs = received.map((event) => event.data.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i));
      expect(received.map((event) => Number(event.id))).toEqual(seqs);
      expect(received.at(-1)?.data).toMatchObject({ type: 'completed', result: 'through the cuts' });
    } finally {
      await proxy.close();
    }
  });

  it('answers bad reads clearly: a bad Last-Event-ID, an unknown job, a point beyond the end', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'hang' }]);
    const response = await postExecute(fx.worker.url, executeBody(), { token: apiToken });
    const jobId = response.headers.get('x-job-id')!;
    const events = sseEvents(response);
    await until(events, 'connected');
    const bad = await fetch(`${fx.worker.url}/jobs/${jobId}/events`, { headers: { ...auth, 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', issues: [{ path: 'Last-Event-ID' }] } });
    const badAfter = await fetch(`${fx.worker.url}/jobs/${jobId}/events?after=-3`, { headers: auth });
    expect(badAfter.status).toBe(400);
    const beyond = await fetch(`${fx.worker.url}/jobs/${jobId}/events?after=99999`, { headers: auth });
    expect(beyond.status).toBe(400);
    expect(((await beyond.json()) as any).error.issues[0].path).toBe('after');
    for (const path of ['/jobs/no-such-job', '/jobs/no-such-job/events']) {
      const unknown = await fetch(`${fx.worker.url}${path}`, { headers: auth });
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as any).error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('DB API') });
    }
    expect((await fetch(`${fx.worker.url}/jobs/no-such-job/cancel`, { method: 'POST', headers: auth })).status).toBe(404);
    expect((await fetch(`${fx.worker.url}/jobs/${jobId}`)).status).toBe(401);
    await fetch(`${fx.worker.url}/jobs/${jobId}/cancel`, { method: 'POST', headers: auth });
    await until(events, 'error');
  });

  it('replays a long job from its file beyond the memory bound, and answers 410 for events it no longer keeps', async () => {
    // 5,000 events of ~500 bytes: 2.5 MB, over a memory bound of 1 MB.
    const cli = await floodingCli(5000);
    const spilling = await startE2e({ CLAUDE_CODE_PATH: cli, MAX_EVENTS_PER_SECOND: '0', EVENT_LOG_MEMORY_MB: '1' });
    try {
      const events = await collectEvents(await postExecute(spilling.worker.url, executeBody(), { token: apiToken }));
      expect(events.length).toBeGreaterThan(5000);
      const replay = await collectEvents(await fetch(`${spilling.worker.url}/jobs/${events[0]!.data.jobId}/events`, { headers: auth }));
      expect(replay.map((event) => event.raw)).toEqual(events.map((event) => event.raw));
    } finally {
      await spilling.close();
    }
    fx = await startE2e({ CLAUDE_CODE_PATH: cli, MAX_EVENTS_PER_SECOND: '0', EVENT_LOG_MEMORY_MB: '1', EVENT_LOG_FILE_MB: '0' });
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
    const jobId = events[0]!.data.jobId;
    const gone = await fetch(`${fx.worker.url}/jobs/${jobId}/events?after=0`, { headers: auth });
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as any).error).toMatchObject({ code: 'EVENTS_GONE', message: expect.stringContaining('no longer kept') });
    const tail = await collectEvents(await fetch(`${fx.worker.url}/jobs/${jobId}/events?after=${events.length - 3}`, { headers: auth }));
    expect(tail.map((event) => event.raw)).toEqual(events.slice(-2).map((event) => event.raw));
  });

  it('a session is a resource: GET shows what is kept, DELETE erases it with its jobs\' events', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'text', text: 'kept' }]);
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
    const { sessionId, jobId } = events.at(-1)!.data as unknown as { sessionId: string; jobId: string };
    const session = await fetch(`${fx.worker.url}/sessions/${sessionId}`, { headers: auth });
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({ sessionId, provider: 'claude-code', savedAt: expect.any(String), artifacts: expect.arrayContaining([expect.objectContaining({ chars: expect.any(Number) })]) });
    expect((await fetch(`${fx.worker.url}/sessions/${sessionId}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    const gone = await fetch(`${fx.worker.url}/sessions/${sessionId}`, { headers: auth });
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as any).error).toMatchObject({ code: 'SESSION_NOT_FOUND', message: expect.stringContaining('DB API') });
    expect((await fetch(`${fx.worker.url}/sessions/${sessionId}`, { method: 'DELETE', headers: auth })).status).toBe(404);
    expect((await fetch(`${fx.worker.url}/jobs/${jobId}/events`, { headers: auth })).status).toBe(410);
    // Nothing is left to resume.
    const resumed = await collectEvents(await postExecute(fx.worker.url, executeBody({ resumeSessionId: sessionId }), { token: apiToken }));
    expect(resumed.at(-1)?.data).toMatchObject({ type: 'error', code: 'SESSION_NOT_FOUND' });
  });

  it('a one-job worker lingers after a detached job for a reader that has not had the verdict, then exits once it has', async () => {
    fx = await startE2e({ EXIT_AFTER_JOB: 'true', JOB_LINGER_MS: '20000' });
    fx.model.script([{ kind: 'text', text: 'read me', delayMs: 500 }]);
    const { jobId } = await startAndLeave(fx, 2);
    await fx.worker.logged('job ended');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // It takes no new job meanwhile.
    const refused = await postExecute(fx.worker.url, executeBody(), { token: apiToken });
    expect(refused.status).toBe(503);
    const started = Date.now();
    const rest = await collectEvents(await fetch(`${fx.worker.url}/jobs/${jobId}/events`, { headers: { ...auth, 'last-event-id': '1' } }));
    expect(rest[0]!.data.seq).toBe(2);
    expect(rest.at(-1)?.data).toMatchObject({ type: 'completed', result: 'read me' });
    expect(await fx.worker.exited).toEqual({ code: 0, signal: null });
    // It left once the verdict was read, long before the linger's limit.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
