import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
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
