import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { processTexts } from '../support/processes.js';
import { cwdOf } from '../support/scripted-anthropic.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

const run = promisify(execFile);

/** Every file below `dir`, .git included, as text. */
async function allText(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    if ((await stat(path)).isFile()) parts.push(await readFile(path, 'latin1'));
  }
  return parts.join('\n');
}

describe('jobs on a GitHub repository (a real git server on loopback)', () => {
  let git: GitServer;
  let fx: E2eFixture | undefined;
  const gitEnv = { GIT_ALLOWED_INSECURE_HOSTS: '127.0.0.1' };
  beforeEach(async () => {
    git = await startGitServer();
  });
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
    await git.close();
  });

  it('clones with progress before the assistant starts, then commits and pushes its work; the token is nowhere', async () => {
    fx = await startE2e(gitEnv);
    const repoUrl = await git.createRepo('api', { 'README.md': '# api\n' });
    let assistantEnv: string[] = [];
    fx.model.script([
      {
        kind: 'tool_use',
        name: 'Write',
        input: (request) => {
          assistantEnv = processTexts().filter((p) => p.argv.includes('stream-json')).map((p) => p.environ);
          return { file_path: join(cwdOf(request)!, 'hello.ts'), content: 'export const hello = 1;\n' };
        },
      },
      { kind: 'text', text: 'Added hello.ts' },
    ]);
    const github = { repoUrl, branch: 'main', accessToken: git.token, push: { branch: 'agent/fix-123', commitMessage: 'Add hello' } };
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ workspace: 'api', github }), { token: apiToken }));

    const types = events.map((event) => event.data.type);
    expect(types).toContain('github_pull_progress');
    expect(types.lastIndexOf('github_pull_progress')).toBeLessThan(types.indexOf('assistant_message'));
    const completed = events.at(-1)!.data;
    expect(completed).toMatchObject({
      type: 'completed',
      changes: { branch: 'agent/fix-123', pushed: true, filesChanged: [{ path: 'hello.ts', status: 'added', additions: 1, deletions: 0 }] },
    });
    expect(await git.git('api', 'show', 'agent/fix-123:hello.ts')).toBe('export const hello = 1;\n');
    expect(await git.git('api', 'log', '-1', '--format=%an %s', 'agent/fix-123')).toBe('unified-worker Add hello\n');

    const workspace = join(fx.workspaceDir, 'api');
    const { stdout: config } = await run('git', ['config', '--list', '--show-origin'], { cwd: workspace });
    expect(config).toContain(`remote.origin.url=${repoUrl}`);
    expect(config).not.toContain(git.token);
    expect(await allText(workspace)).not.toContain(git.token);
    expect(events.map((event) => event.raw).join('\n')).not.toContain(git.token);
    expect(fx.worker.output.join('\n')).not.toContain(git.token);
    expect(assistantEnv.length).toBeGreaterThan(0);
    for (const environ of assistantEnv) expect(environ).not.toContain(git.token);
    for (const request of git.requests) expect(request.path).not.toContain(git.token);

    // The logs tell an operator where the job is, stage by stage, with its figures.
    await fx.worker.logged('job ended');
    const jobId = events[0]!.data.jobId;
    const stages = fx.worker.output
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { jobId?: string; stage?: string; msg: string; version?: string; tookMs?: number })
      .filter((line) => line.jobId === jobId && line.stage);
    expect(stages.map((line) => `${line.stage}: ${line.msg}`)).toEqual([
      'workspace: workspace ready',
      'repository: fetching the repository',
      'repository: repository ready',
      'provider: starting claude-code',
      'publish: committing and pushing agent/fix-123',
      'publish: changes published',
    ]);
    expect(stages.find((line) => line.msg === 'repository ready')).toMatchObject({ branch: 'main', tookMs: expect.any(Number) });
    expect(stages.find((line) => line.stage === 'provider')?.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a resumed job on a new worker checks out the pushed branch and continues there', async () => {
    const repoUrl = await git.createRepo('api', { 'README.md': '# api\n' });
    const first = await startE2e(gitEnv);
    fx = first;
    first.model.script([
      { kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request)!, 'step1.txt'), content: 'one\n' }) },
      { kind: 'text', text: 'step one done' },
    ]);
    const github = { repoUrl, accessToken: git.token, push: { branch: 'agent/long-task' } };
    const one = await collectEvents(await postExecute(first.worker.url, executeBody({ github }), { token: apiToken }));
    expect(one.at(-1)?.data).toMatchObject({ type: 'completed', changes: { pushed: true } });
    const sessionId = one.at(-1)!.data.sessionId as string;

    // A new worker: fresh workspace, but the session store of the pool.
    await first.worker.stop();
    const second = await startE2e({ ...gitEnv, STATE_DIR: join(first.workspaceDir, '.unified-worker') });
    fx = second;
    let sawStep1 = false;
    second.model.script([
      {
        kind: 'tool_use',
        name: 'Write',
        input: (request) => {
          sawStep1 = true;
          return { file_path: join(cwdOf(request)!, 'step2.txt'), content: 'two\n' };
        },
      },
      { kind: 'text', text: 'step two done' },
    ]);
    const two = await collectEvents(await postExecute(second.worker.url, executeBody({ github, resumeSessionId: sessionId, workspace: 'again' }), { token: apiToken }));
    expect(two.at(-1)?.data).toMatchObject({ type: 'completed', sessionId, changes: { branch: 'agent/long-task', pushed: true } });
    expect(sawStep1).toBe(true);
    expect(await readFile(join(second.workspaceDir, 'again', 'step1.txt'), 'utf8')).toBe('one\n');
    expect(await git.git('api', 'show', 'agent/long-task:step2.txt')).toBe('two\n');
    await first.close();
  });

  it('ends with REPO_FAILED when the token is wrong, before the assistant starts', async () => {
    fx = await startE2e(gitEnv);
    const repoUrl = await git.createRepo('api', { 'README.md': '# api\n' });
    const events = await collectEvents(
      await postExecute(fx.worker.url, executeBody({ github: { repoUrl, accessToken: 'ghp_wrongwrongwrongwrong' } }), { token: apiToken }),
    );
    expect(events.at(-1)?.data).toMatchObject({ type: 'error', code: 'REPO_FAILED', message: 'git clone failed: authentication failed', retryable: false });
    expect(fx.model.mainLoopRequests()).toHaveLength(0);
  });

  it.each([
    'file:///etc/passwd',
    'ext::sh -c id',
    'ssh://git@github.com/acme/api.git',
    'git@github.com:acme/api.git',
    'https://x:tok@github.com/acme/api.git',
    'http://169.254.169.254/latest.git',
    'https://10.0.0.1/acme/api.git',
  ])('answers 400 for repoUrl %s, and no git request is made', async (repoUrl) => {
    fx = await startE2e(gitEnv);
    const response = await postExecute(fx.worker.url, executeBody({ github: { repoUrl } }), { token: apiToken });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', issues: [{ path: 'github.repoUrl' }] } });
    expect(git.requests).toHaveLength(0);
  });
});
