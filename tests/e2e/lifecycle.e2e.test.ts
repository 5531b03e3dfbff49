import { afterEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { processesInside } from '../support/processes.js';
import { collectEvents, postExecute, sseEvents, until } from '../support/sse-client.js';
import { freePort } from '../support/pool-supervisor.js';
import { startWorker } from '../support/worker-process.js';

async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 25));
}

/** A job whose model never answers, running: the CLI has sent its first request. */
async function startHangingJob(fx: E2eFixture) {
  fx.model.script([{ kind: 'hang' }]);
  const events = sseEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
  await until(events, 'connected');
  await waitFor(() => fx.model.mainLoopRequests().length > 0);
  return events;
}

const status = async (url: string) => ((await (await fetch(`${url}/status`)).json()) as { status: string }).status;

describe('the worker process over a job\'s life', () => {
  let fx: E2eFixture;
  afterEach(async () => fx?.close());

  it('kills the whole provider process group when the client disconnects, and ends CANCELLED', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'hang' }]);
    const controller = new AbortController();
    const response = await postExecute(fx.worker.url, executeBody(), { token: apiToken, signal: controller.signal });
    const events = sseEvents(response);
    await until(events, 'message');
    await waitFor(() => fx.model.mainLoopRequests().length > 0);
    expect(processesInside(fx.workspaceDir).length).toBeGreaterThan(0);
    controller.abort();
    const ended = await fx.worker.logged('job ended');
    expect(ended).toMatchObject({ status: 'failed', failure: 'CANCELLED' });
    expect(processesInside(fx.workspaceDir)).toEqual([]);
    expect(await status(fx.worker.url)).toBe('idle');
  });

  it('POST /cancel ends the running job with CANCELLED', async () => {
    fx = await startE2e();
    const events = await startHangingJob(fx);
    const busy = (await (await fetch(`${fx.worker.url}/status`)).json()) as Record<string, unknown>;
    expect(busy).toMatchObject({ status: 'busy', provider: 'claude-code', jobId: expect.any(String), startedAt: expect.any(String) });
    const cancel = await fetch(`${fx.worker.url}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${apiToken}` } });
    expect(cancel.status).toBe(200);
    const error = await until(events, 'error');
    expect(error.data).toMatchObject({ code: 'CANCELLED', retryable: false });
    expect(processesInside(fx.workspaceDir)).toEqual([]);
  });

  it('ends a job that outlives timeoutMs with TIMEOUT and kills the CLI', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'hang' }]);
    const events = await collectEvents(
      await postExecute(fx.worker.url, executeBody({ providerOptions: { timeoutMs: 1500 } }), { token: apiToken }),
    );
    expect(events.at(-1)?.data).toMatchObject({ type: 'error', code: 'TIMEOUT', retryable: true });
    expect(processesInside(fx.workspaceDir)).toEqual([]);
  });

  it('on SIGTERM ends the running job with WORKER_SHUTDOWN, kills the CLI and exits 0', async () => {
    fx = await startE2e();
    const events = await startHangingJob(fx);
    process.kill(fx.worker.pid, 'SIGTERM');
    const error = await until(events, 'error');
    expect(error.data).toMatchObject({ code: 'WORKER_SHUTDOWN', retryable: true });
    expect(await fx.worker.exited).toEqual({ code: 0, signal: null });
    expect(processesInside(fx.workspaceDir)).toEqual([]);
  });

  it('with DRAIN_TIMEOUT_MS, SIGTERM takes no new job but lets the running one finish, then exits 0', async () => {
    fx = await startE2e({ DRAIN_TIMEOUT_MS: '60000' });
    fx.model.script([{ kind: 'text', text: 'finished while draining', delayMs: 1500 }]);
    const events = sseEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
    await until(events, 'connected');
    await waitFor(() => fx.model.mainLoopRequests().length > 0);
    process.kill(fx.worker.pid, 'SIGTERM');
    await waitFor(async () => (await postExecute(fx.worker.url, executeBody(), { token: apiToken }).then(() => false, () => true)));
    expect((await until(events, 'completed')).data).toMatchObject({ result: 'finished while draining' });
    expect(await fx.worker.exited).toEqual({ code: 0, signal: null });
  });

  it('a second SIGTERM during the drain cancels the running job with WORKER_SHUTDOWN', async () => {
    fx = await startE2e({ DRAIN_TIMEOUT_MS: '600000' });
    const events = await startHangingJob(fx);
    process.kill(fx.worker.pid, 'SIGTERM');
    await waitFor(() => fx.worker.output.some((line) => line.includes('"msg":"draining: the running job may finish"')));
    process.kill(fx.worker.pid, 'SIGTERM');
    expect((await until(events, 'error')).data).toMatchObject({ code: 'WORKER_SHUTDOWN' });
    expect(await fx.worker.exited).toEqual({ code: 0, signal: null });
  });

  it('a pooled one-job worker is ready while its job runs and sends its verdict only after a readiness check saw it leave', async () => {
    const controlPort = await freePort();
    fx = await startE2e({ EXIT_AFTER_JOB: 'true', CONTROL_PORT: String(controlPort), HANDOFF_MS: '10000' });
    const ready = `http://127.0.0.1:${controlPort}/ready`;
    fx.model.script([{ kind: 'text', text: 'handed off', delayMs: 500 }]);
    const events = sseEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
    await until(events, 'connected');
    expect((await fetch(ready)).status).toBe(200);
    // A request the balancer should not have sent waits until the worker has left, then gets 503.
    const held = postExecute(fx.worker.url, executeBody(), { token: apiToken });
    let verdict = false;
    const finished = until(events, 'completed').then((event) => ((verdict = true), event));
    // Probe as a balancer would until the worker says it is leaving: the verdict must not be out yet.
    while ((await fetch(ready)).status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(verdict).toBe(false);
    expect((await finished).data).toMatchObject({ result: 'handed off' });
    const refusal = await held;
    expect(refusal.status).toBe(503);
    expect(await refusal.json()).toMatchObject({ error: { code: 'WORKER_SHUTDOWN' } });
    expect(await fx.worker.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 0 after its one job when EXIT_AFTER_JOB is on', async () => {
    fx = await startE2e({ EXIT_AFTER_JOB: 'true' });
    fx.model.script([{ kind: 'text', text: 'only job' }]);
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed', result: 'only job' });
    expect(await fx.worker.exited).toEqual({ code: 0, signal: null });
  });

  it('sends a comment line while the stream is otherwise quiet', async () => {
    fx = await startE2e({ SSE_HEARTBEAT_MS: '200' });
    fx.model.script([{ kind: 'hang' }]);
    const response = await postExecute(fx.worker.url, executeBody({ providerOptions: { timeoutMs: 1200 } }), { token: apiToken });
    const text = await response.text();
    expect(text).toMatch(/^: keep-alive$/m);
    expect(text).toContain('event: error');
  });

  it('starts with `npm start` as the README says, on PORT and HOST', async () => {
    fx = await startE2e({}, { viaNpm: true });
    expect(await status(fx.worker.url)).toBe('idle');
  });
});

describe('binding without WORKER_API_TOKEN', () => {
  it('listens on 127.0.0.1 only, without authentication, and says so', async () => {
    const worker = await startWorker({ env: { WORKER_API_TOKEN: '', EXIT_AFTER_JOB: 'false' } });
    try {
      expect(worker.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      const warning = await worker.logged('no WORKER_API_TOKEN: listening on loopback only, without authentication');
      expect(warning).toMatchObject({ host: '127.0.0.1' });
    } finally {
      await worker.stop();
    }
  });

  it('refuses to start on another address', async () => {
    await expect(startWorker({ env: { HOST: '0.0.0.0' } })).rejects.toThrow(/refusing to listen beyond loopback without WORKER_API_TOKEN/);
  });
});
