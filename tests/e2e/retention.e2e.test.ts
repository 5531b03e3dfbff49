import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { cwdOf } from '../support/scripted-anthropic.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

describe('a long-running worker removes each fresh job directory when its job ends', () => {
  let git: GitServer;
  let fx: E2eFixture;
  beforeEach(async () => {
    git = await startGitServer();
    fx = await startE2e({ GIT_ALLOWED_INSECURE_HOSTS: '127.0.0.1' });
  });
  afterEach(async () => {
    await fx?.close();
    await git?.close();
  });

  // jobs/ itself goes with the last job directory in it.
  const jobDirs = () => readdir(join(fx.workspaceDir, 'jobs')).catch(() => []);

  it('leaves no job directory behind; a later job still resumes the session, with its uncommitted work', async () => {
    const repoUrl = await git.createRepo('app', { 'README.md': '# app\n' });
    const github = { repoUrl, accessToken: git.token };
    fx.model.script([
      { kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request)!, 'wip.txt'), content: 'work in progress\n' }) },
      { kind: 'text', text: 'noted' },
    ]);
    const first = await collectEvents(await postExecute(fx.worker.url, executeBody({ github, userRequest: 'remember banana' }), { token: apiToken }));
    expect(first.at(-1)?.data).toMatchObject({ type: 'completed' });
    // The stream ends once the job is over, its directory removed.
    expect(await jobDirs()).toEqual([]);

    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: 'cat wip.txt', description: 'read the work' } },
      { kind: 'text', text: 'banana' },
    ]);
    const sessionId = first.at(-1)!.data.sessionId as string;
    const body = executeBody({ github, resumeSessionId: sessionId, userRequest: 'which word?', providerOptions: { allowedTools: ['Bash'] } });
    const second = await collectEvents(await postExecute(fx.worker.url, body, { token: apiToken }));
    expect(second.at(-1)?.data).toMatchObject({ type: 'completed', sessionId, result: 'banana' });
    const read = second.map((event) => event.data.item as { kind?: string; output?: string } | undefined).find((item) => item?.kind === 'tool_result');
    expect(read?.output).toContain('work in progress');
    expect(JSON.stringify(fx.model.mainLoopRequests()[2]!.body.messages)).toContain('remember banana');
    expect(await jobDirs()).toEqual([]);
    // The CLI's per-job HOMEs go with their jobs too.
    expect(await readdir(join(fx.workspaceDir, '.unified-worker', 'homes'))).toEqual([]);
  });

  it('keeps the files of a named workspace', async () => {
    fx.model.script([
      { kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request)!, 'hello.ts'), content: 'export {};\n' }) },
      { kind: 'text', text: 'Created hello.ts' },
    ]);
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ workspace: 'acme/api' }), { token: apiToken }));
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed' });
    expect(await readFile(join(fx.workspaceDir, 'acme/api/hello.ts'), 'utf8')).toBe('export {};\n');
    expect(await jobDirs()).toEqual([]);
  });
});

describe('a worker deletes saved sessions past SESSION_RETENTION_MS', () => {
  let fx: E2eFixture | undefined;
  let stateDir: string;
  afterEach(async () => {
    await fx?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('at start, keeping the newer ones', async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'uw-retention-state-'));
    const sessions = join(stateDir, 'sessions');
    await mkdir(sessions, { recursive: true });
    const day = 24 * 3_600_000;
    for (const [id, ageMs] of [['old', 2 * day], ['recent', day / 2]] as const) {
      const file = join(sessions, `${id}.json`);
      await writeFile(file, '{}');
      await utimes(file, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
    }
    fx = await startE2e({ STATE_DIR: stateDir, SESSION_RETENTION_MS: String(day) });
    expect(await fx.worker.logged('expired sessions deleted')).toMatchObject({ deleted: 1, retentionMs: day });
    expect(await readdir(sessions)).toEqual(['recent.json']);
  });
});
