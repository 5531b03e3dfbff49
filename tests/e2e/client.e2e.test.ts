import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerClient, WorkerError, type ExecuteRequestBody, type JobEvent } from '../../src/adapters/client/index.js';
import { startCuttingProxy } from '../support/cutting-proxy.js';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function collect(events: AsyncIterable<JobEvent>): Promise<JobEvent[]> {
  const all: JobEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('unified-worker/client against the real worker', () => {
  let fx: E2eFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('streams a job as typed events and reads health and status', async () => {
    fx = await startE2e();
    const client = new WorkerClient({ baseUrl: fx.worker.url, apiToken });
    fx.model.script([{ kind: 'text', text: 'typed' }]);
    const events = await collect(client.execute(executeBody() as ExecuteRequestBody));
    expect(events.slice(0, 3).map((event) => event.type)).toEqual(['connected', 'message', 'message']);
    const kinds = events.flatMap((event) => (event.type === 'assistant_message' ? [event.item.kind] : []));
    // The session, the text, then the usage (after the answer, and the total with the result).
    expect(kinds.slice(0, 3)).toEqual(['session', 'text', 'usage']);
    expect(new Set(kinds.slice(2))).toEqual(new Set(['usage']));
    const last = events.at(-1)!;
    expect(last.type === 'completed' && last.result).toBe('typed');
    expect((await client.health()).providers.map((provider) => provider.id)).toContain('claude-code');
    expect(await client.status()).toEqual({ status: 'idle' });
  });

  it('refuses a bad request at once, with the fields, and never retries it', async () => {
    fx = await startE2e();
    const client = new WorkerClient({ baseUrl: fx.worker.url, apiToken });
    const error = await collect(client.execute({ userRequest: '', codingAssistantProvider: 'claude-code' })).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(WorkerError);
    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect((error as WorkerError).issues.map((issue) => issue.path)).toContain('userRequest');
  });

  it('waits out a busy worker (429 with Retry-After) and runs the job once it is free', async () => {
    fx = await startE2e();
    const client = new WorkerClient({ baseUrl: fx.worker.url, apiToken, retry: { deadlineMs: 30_000 } });
    fx.model.script([{ kind: 'text', text: 'first', delayMs: 1500 }, { kind: 'text', text: 'second' }]);
    const first = collect(client.execute(executeBody() as ExecuteRequestBody));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    const second = await collect(client.execute(executeBody() as ExecuteRequestBody));
    const last = second.at(-1)!;
    expect(last.type === 'completed' && last.result).toBe('second');
    // The worker asks for 5 s; the client honoured it rather than hammering.
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    expect((await first).at(-1)?.type).toBe('completed');
  });

  it('knocks on a worker that is not up yet until it answers', async () => {
    const port = await freePort();
    const client = new WorkerClient({ baseUrl: `http://127.0.0.1:${port}`, apiToken, retry: { deadlineMs: 30_000, baseMs: 100, maxMs: 300 } });
    const health = client.health();
    await new Promise((resolve) => setTimeout(resolve, 500));
    fx = await startE2e({ PORT: String(port) });
    expect((await health).status).toBe('ok');
  });

  it('gives up at the deadline with UNREACHABLE', async () => {
    const port = await freePort();
    const client = new WorkerClient({ baseUrl: `http://127.0.0.1:${port}`, retry: { deadlineMs: 500, baseMs: 50, maxMs: 100 } });
    await expect(client.status()).rejects.toMatchObject({ code: 'UNREACHABLE' });
  });

  it('aborting the signal closes the stream and the worker cancels the job', async () => {
    fx = await startE2e();
    const client = new WorkerClient({ baseUrl: fx.worker.url, apiToken });
    fx.model.script([{ kind: 'hang' }]);
    const controller = new AbortController();
    const seen: string[] = [];
    const running = (async () => {
      for await (const event of client.execute(executeBody() as ExecuteRequestBody, { signal: controller.signal })) {
        seen.push(event.type);
        if (event.type === 'message' && event.stage === 'workspace') setTimeout(() => controller.abort(), 200);
      }
    })();
    await expect(running).rejects.toBeDefined();
    expect(seen).not.toContain('completed');
    const ended = await fx.worker.logged('job ended');
    expect(ended).toMatchObject({ failure: 'CANCELLED' });
  });

  it('reattaches by itself when the stream drops mid-job, never yielding an event twice or skipping one', async () => {
    fx = await startE2e();
    // Every connection through the proxy is cut after two events: the POST and each reattach.
    const proxy = await startCuttingProxy(fx.worker.url, 3, 2);
    try {
      const client = new WorkerClient({ baseUrl: proxy.url, apiToken });
      fx.model.script([{ kind: 'text', text: 'despite the cuts', delayMs: 800 }]);
      const events = await collect(client.execute(executeBody({ onDisconnect: 'continue' }) as ExecuteRequestBody));
      expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i));
      expect(events.at(-1)).toMatchObject({ type: 'completed', result: 'despite the cuts' });
      expect(proxy.connections()).toBeGreaterThanOrEqual(3);
      // attach() follows the same job from any point.
      const tail = await collect(new WorkerClient({ baseUrl: fx.worker.url, apiToken }).attach(events[0]!.jobId, { after: 3 }));
      expect(tail).toEqual(events.slice(4));
    } finally {
      await proxy.close();
    }
  });

  it('reports a worker that dies mid-job as WORKER_LOST, not a bare network error', async () => {
    fx = await startE2e();
    const client = new WorkerClient({ baseUrl: fx.worker.url, apiToken });
    fx.model.script([{ kind: 'hang' }]);
    const seen: string[] = [];
    const running = (async () => {
      for await (const event of client.execute(executeBody() as ExecuteRequestBody)) {
        seen.push(event.type);
        if (event.type === 'message' && event.stage === 'provider') process.kill(fx.worker.pid, 'SIGKILL');
      }
    })();
    await expect(running).rejects.toMatchObject({ name: 'WorkerError', code: 'WORKER_LOST' });
    expect(seen).not.toContain('completed');
    fx.model.dropHanging();
  });
});
