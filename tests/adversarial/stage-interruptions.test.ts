import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startFaultDbApi, type FaultDbApi } from '../support/fault-db-api.js';
import { startGitServer } from '../support/git-server.js';
import { cwdOf } from '../support/scripted-anthropic.js';
import { processesInside } from '../support/processes.js';
import { postExecute, sseEvents, until } from '../support/sse-client.js';

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('interrupting a job while it clones', () => {
  let fx: E2eFixture;
  let silent: Server;
  let sockets: Set<Socket>;
  let repoUrl: string;
  beforeEach(async () => {
    // A git host that accepts the connection and never answers: the clone hangs.
    sockets = new Set();
    silent = createServer(() => undefined);
    silent.on('connection', (socket) => sockets.add(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    repoUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/api.git`;
    fx = await startE2e({ GIT_ALLOWED_INSECURE_HOSTS: '127.0.0.1' });
  });
  afterEach(async () => {
    await fx.close();
    for (const socket of sockets) socket.destroy();
    silent.close();
  });

  async function cloning() {
    const controller = new AbortController();
    const events = sseEvents(await postExecute(fx.worker.url, executeBody({ github: { repoUrl } }), { token: apiToken, signal: controller.signal }));
    await until(events, 'connected');
    await waitFor(() => sockets.size > 0 && processesInside(fx.workspaceDir).length > 0);
    return { events, controller };
  }

  it('a client disconnect ends the job CANCELLED and kills git', async () => {
    const { controller } = await cloning();
    controller.abort();
    expect(await fx.worker.logged('job ended')).toMatchObject({ failure: 'CANCELLED' });
    await waitFor(() => processesInside(fx.workspaceDir).length === 0);
    expect(fx.model.mainLoopRequests()).toHaveLength(0);
  });

  it('SIGTERM ends the job WORKER_SHUTDOWN, kills git and exits 0', async () => {
    const { events } = await cloning();
    process.kill(fx.worker.pid, 'SIGTERM');
    expect((await until(events, 'error')).data).toMatchObject({ code: 'WORKER_SHUTDOWN' });
    expect(await fx.worker.exited).toEqual({ code: 0, signal: null });
    expect(processesInside(fx.workspaceDir)).toEqual([]);
  });
});

describe('SIGTERM while the session is loaded from the database, and while the last events are flushed', () => {
  let fx: E2eFixture | undefined;
  let api: FaultDbApi | undefined;
  afterEach(async () => {
    await fx?.close();
    await api?.close();
  });

  it('during the session load: WORKER_SHUTDOWN before the assistant starts, exit 0', async () => {
    api = await startFaultDbApi();
    fx = await startE2e({ DB_BASE_URL: api.url, DB_FLUSH_TIMEOUT_MS: '1000' });
    // The snapshot read hangs for a minute: the worker is loading the session when SIGTERM lands.
    api.fault({ kind: 'slow', delayMs: 60_000, times: 1 });
    const events = sseEvents(
      await postExecute(fx.worker.url, executeBody({ resumeSessionId: 'earlier', database: { sessionId: 's-term-load', accessToken: api.token } }), { token: apiToken }),
    );
    await until(events, 'connected');
    await waitFor(() => api!.requests.some((request) => request.method === 'GET' && request.path.endsWith('/snapshot')));
    process.kill(fx.worker.pid, 'SIGTERM');
    expect((await until(events, 'error')).data).toMatchObject({ code: 'WORKER_SHUTDOWN', retryable: true });
    expect(await fx.worker.exited).toEqual({ code: 0, signal: null });
    expect(fx.model.mainLoopRequests()).toHaveLength(0);
  });

  it('during the final flush: the job has completed, so it ends completed; the events reach the database; exit 0', async () => {
    api = await startFaultDbApi();
    fx = await startE2e({ DB_BASE_URL: api.url, DB_FLUSH_TIMEOUT_MS: '20000', SHUTDOWN_GRACE_MS: '20000' });
    api.fault({ kind: 'slow', delayMs: 700, times: 50 });
    fx.model.script([{ kind: 'text', text: 'done before the signal' }]);
    const events = sseEvents(await postExecute(fx.worker.url, executeBody({ database: { sessionId: 's-term-flush', accessToken: api.token } }), { token: apiToken }));
    await until(events, (event) => (event.data.item as { kind?: string } | undefined)?.kind === 'usage');
    await waitFor(() => api!.requests.some((request) => request.method === 'PUT' && request.path.endsWith('/snapshot')));
    process.kill(fx.worker.pid, 'SIGTERM');
    const terminal = await until(events, (event) => event.data.type === 'completed' || event.data.type === 'error');
    expect(terminal.data).toMatchObject({ type: 'completed', result: 'done before the signal' });
    expect(await fx.worker.exited).toEqual({ code: 0, signal: null });
    expect(api.chunks('s-term-flush').at(-1)?.data).toMatchObject({ type: 'completed' });
  });
});

describe('SIGTERM while the work is pushed', () => {
  it('ends the job WORKER_SHUTDOWN, kills git and exits 0', async () => {
    const git = await startGitServer();
    const fx = await startE2e({ GIT_ALLOWED_INSECURE_HOSTS: '127.0.0.1' });
    try {
      const repoUrl = await git.createRepo('api', { 'README.md': '# api\n' });
      git.holdPushes();
      fx.model.script([
        { kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request)!, 'hello.ts'), content: 'export {};\n' }) },
        { kind: 'text', text: 'written' },
      ]);
      const github = { repoUrl, accessToken: git.token, push: { branch: 'agent/held' } };
      const events = sseEvents(await postExecute(fx.worker.url, executeBody({ github }), { token: apiToken }));
      await until(events, 'connected');
      await waitFor(() => git.requests.some((request) => request.method === 'POST' && request.path.endsWith('/git-receive-pack')));
      process.kill(fx.worker.pid, 'SIGTERM');
      expect((await until(events, (event) => event.data.type === 'completed' || event.data.type === 'error')).data).toMatchObject({
        type: 'error',
        code: 'WORKER_SHUTDOWN',
      });
      expect(await fx.worker.exited).toEqual({ code: 0, signal: null });
      expect(processesInside(fx.workspaceDir)).toEqual([]);
    } finally {
      await fx.close();
      await git.close();
    }
  });
});
