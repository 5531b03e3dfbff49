import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { processesInside } from '../support/processes.js';
import { startReferenceDbApi, type ReferenceDbApi } from '../support/reference-db-api.js';
import { cwdOf } from '../support/scripted-anthropic.js';
import { WorkerClient, type ExecuteRequestBody, type JobEvent } from '../../src/adapters/client/index.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a job whose worker dies: its verdict from the DB API, its session resumed elsewhere with its work', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('worker A is killed with SIGKILL mid-job; a DB API reader gets every stored event, then WORKER_LOST; worker B resumes the session with the uncommitted file', async () => {
    const git: GitServer = await startGitServer();
    cleanups.push(() => git.close());
    const db: ReferenceDbApi = await startReferenceDbApi({ leaseSweepMs: 200, pollMs: 200 });
    cleanups.push(() => db.close());
    const env = { GIT_ALLOWED_INSECURE_HOSTS: '127.0.0.1', DB_BASE_URL: db.url, DB_LEASE_TTL_MS: '1500', DB_BATCH_INTERVAL_MS: '10' };
    const a: E2eFixture = await startE2e({ ...env, EXIT_AFTER_JOB: 'true' });
    cleanups.push(() => a.close());
    const repoUrl = await git.createRepo('app', { 'README.md': '# app\n' });
    const sessionId = `moved-${Math.random().toString(36).slice(2, 10)}`;
    const database = { sessionId, accessToken: db.token };
    const github = { repoUrl, branch: 'main', accessToken: git.token };

    a.model.script([
      { kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request)!, 'wip.txt'), content: 'work in progress\n' }) },
      { kind: 'hang' },
    ]);
    // The typed client starts the job; when its worker dies it turns to the DB API by itself.
    const client = new WorkerClient({ baseUrl: a.worker.url, apiToken });
    const received: JobEvent[] = [];
    let toolRan = (): void => undefined;
    const ran = new Promise<void>((resolve) => (toolRan = resolve));
    const following = (async () => {
      const body = executeBody({ github, database, onDisconnect: 'continue' }) as ExecuteRequestBody;
      for await (const event of client.execute(body, { reattach: { dbApi: { baseUrl: db.url }, fallbackAfterMs: 1000 } })) {
        received.push(event);
        if (event.type === 'assistant_message' && event.item.kind === 'tool_result') toolRan();
      }
    })();
    await ran;
    const jobId = received[0]!.jobId;
    // The session, with the file the agent wrote, is saved as the job goes.
    const snapshotOf = async () => (await fetch(`${db.url}/sessions/${sessionId}/snapshot`, { headers: { authorization: `Bearer ${db.token}` } })).json() as Promise<any>;
    await waitFor(async () => (await snapshotOf())?.work !== undefined, 'a snapshot with the uncommitted work');
    await waitFor(() => a.model.mainLoopRequests().length >= 2, 'the second model request');

    process.kill(-a.worker.pid, 'SIGKILL');
    for (const pid of processesInside(a.workspaceDir)) process.kill(pid, 'SIGKILL');
    await a.worker.exited;

    const events = await collectEvents(
      await fetch(`${db.url}/sessions/${sessionId}/events?jobId=${jobId}`, { headers: { authorization: `Bearer ${db.token}` } }),
    );
    const seqs = events.map((event) => event.data.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    const lost = events.at(-1)!.data as Record<string, unknown>;
    expect(lost).toMatchObject({ type: 'error', code: 'WORKER_LOST', retryable: true, jobId, sessionId: expect.any(String) });
    expect(events.filter((event) => event.data.type === 'error')).toHaveLength(1);
    await following;
    expect(received).toEqual(events.map((event) => event.data));

    const b: E2eFixture = await startE2e(env);
    cleanups.push(() => b.close());
    b.model.script([{ kind: 'text', text: 'picked up where A stopped' }]);
    const resumed = await collectEvents(
      // A named workspace, which outlives its job, so the restored file can be looked at.
      await postExecute(b.worker.url, executeBody({ github, database, workspace: 'b', resumeSessionId: lost.sessionId as string }), { token: apiToken }),
    );
    expect(resumed.at(-1)?.data).toMatchObject({ type: 'completed', result: 'picked up where A stopped' });
    const texts = resumed.map((event) => event.data).filter((event) => event.type === 'message').map((event) => event.text as string);
    expect(texts).toContainEqual(expect.stringMatching(/^restored the session's uncommitted work \(\d+ bytes\)$/));
    const file = join(b.workspaceDir, 'b', 'wip.txt');
    expect(existsSync(file), "the uncommitted file in B's workspace").toBe(true);
    expect(await readFile(file, 'utf8')).toBe('work in progress\n');
    // B's model saw A's conversation: the transcript moved too.
    expect(JSON.stringify(b.model.mainLoopRequests()[0]!.body.messages)).toContain('wip.txt');
  });
});
