import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { link, lstat, mkdir, mkdtemp, realpath, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handOver } from '../../src/adapters/providers/agent-user.js';
import { ClaudeHome } from '../../src/adapters/providers/claude-code/claude-code.home.js';
import { CodexHome } from '../../src/adapters/providers/codex/codex.home.js';
import { CopilotHome } from '../../src/adapters/providers/copilot/copilot.home.js';
import { GeminiHome } from '../../src/adapters/providers/gemini/gemini.home.js';
import type { RepoCheckout } from '../../src/application/ports/repo.port.js';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startReferenceDbApi, type ReferenceDbApi } from '../support/reference-db-api.js';
import { testGitRepo } from '../support/simple-git-repo.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

// The agent replaces a file the worker (root) reads after the job with a way to a file only root
// can read. The worker must never read it: the secret must not reach a session snapshot.
const run = promisify(execFile);
const marker = `ROOT-ONLY-SECRET-${Math.random().toString(36).slice(2, 10)}`;
const sixtyFourMiB = 64 * 1024 * 1024;
const sessionId = '0b6a3c1e-5d2f-4e8a-9c7b-1f2e3d4c5b6a';

let dir: string;
/** A directory only root may enter, as /root is, holding `secret` with the marker in it. */
let rootOnly: string;
let secret: string;
const fifos: string[] = [];

beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'uw-symlinks-')));
  rootOnly = join(dir, 'root-only');
  await mkdir(rootOnly, { mode: 0o700 });
  secret = join(rootOnly, 'secret');
  await writeFile(secret, `{"sessionId":"${sessionId}","secret":"${marker}"}\n`, { mode: 0o600 });
});

afterEach(async () => {
  // A reader stuck on a FIFO (the worker before this was closed) gets its end of file.
  for (const fifo of fifos.splice(0)) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // Nobody was reading it.
    }
  }
  await rm(dir, { recursive: true, force: true });
});

async function fifoAt(path: string): Promise<void> {
  await run('mkfifo', [path]);
  fifos.push(path);
}

/** Whatever an export gives or says, as text: the marker must not be in it. */
async function outcome(action: () => Promise<unknown>): Promise<string> {
  try {
    return JSON.stringify(await action());
  } catch (error) {
    return String(error);
  }
}

describe('the Claude Code HOME export', () => {
  let home: ClaudeHome;
  let transcript: string;
  beforeEach(async () => {
    home = await ClaudeHome.create(dir, 'job');
    const project = join(home.configDir, 'projects', '-srv-ws');
    await mkdir(project, { recursive: true });
    transcript = join(project, `${sessionId}.jsonl`);
  });

  it('exports a transcript that is a regular file of the HOME', async () => {
    await writeFile(transcript, '{"type":"user"}\n');
    expect(await home.export(sessionId)).toEqual([{ name: 'transcript.jsonl', content: '{"type":"user"}\n' }]);
  });

  it('refuses a transcript replaced by a symlink to a root-only file, and reads nothing through it', async () => {
    await symlink(secret, transcript);
    expect(await outcome(() => home.export(sessionId))).not.toContain(marker);
    await expect(home.export(sessionId)).rejects.toMatchObject({ code: 'PROVIDER_FAILED', message: expect.stringContaining('symbolic link') });
  });

  it('refuses a transcript hard-linked to a root-only file', async () => {
    await link(secret, transcript);
    expect(await outcome(() => home.export(sessionId))).not.toContain(marker);
    await expect(home.export(sessionId)).rejects.toMatchObject({ code: 'PROVIDER_FAILED', message: expect.stringContaining('hard link') });
  });

  it('reads no transcript through a project directory that is a symlink out of the HOME', async () => {
    await rm(join(home.configDir, 'projects', '-srv-ws'), { recursive: true });
    await symlink(rootOnly, join(home.configDir, 'projects', '-srv-ws'));
    await writeFile(join(rootOnly, `${sessionId}.jsonl`), `{"secret":"${marker}"}\n`, { mode: 0o600 });
    expect(await outcome(() => home.export(sessionId))).not.toContain(marker);
  });

  it('does not hang on a FIFO in place of the transcript', { timeout: 5000 }, async () => {
    await fifoAt(transcript);
    await expect(home.export(sessionId)).rejects.toMatchObject({ code: 'PROVIDER_FAILED', message: expect.stringContaining('not a regular file') });
  });

  it('refuses a transcript over 64 MiB without reading it', async () => {
    await writeFile(transcript, '');
    await truncate(transcript, sixtyFourMiB + 1);
    const said = await home.export(sessionId).then(() => 'read whole', (error: Error) => error.message);
    expect(said).toContain(`${sixtyFourMiB}-byte limit`);
  });
});

describe('the other providers’ HOME exports', () => {
  it('Codex: refuses a rollout symlinked to a root-only file, and does not search through a symlinked directory', async () => {
    const home = await CodexHome.create(dir, 'job', { maxRetries: 0, sandbox: 'read-only', keyVariable: 'OPENAI_API_KEY' });
    const sessions = join(home.codexHome, 'sessions');
    await symlink(rootOnly, join(sessions, '2026'));
    await writeFile(join(rootOnly, `rollout-2026-01-01T00-00-00-${sessionId}.jsonl`), `{"secret":"${marker}"}\n`, { mode: 0o600 });
    expect(await outcome(() => home.export(sessionId, undefined))).not.toContain(marker);

    await mkdir(join(sessions, '2025', '01', '01'), { recursive: true });
    await symlink(secret, join(sessions, '2025', '01', '01', `rollout-2025-01-01T00-00-00-${sessionId}.jsonl`));
    expect(await outcome(() => home.export(sessionId, undefined))).not.toContain(marker);
    await expect(home.export(sessionId, undefined)).rejects.toMatchObject({ code: 'PROVIDER_FAILED' });
  });

  it('Gemini: refuses a chat symlinked to a root-only file', async () => {
    const home = await GeminiHome.create(dir, 'job', '/srv/ws', { maxAttempts: 1 });
    const chats = join(home.home, '.gemini', 'tmp', 'job', 'chats');
    await symlink(secret, join(chats, `session-2026-01-01T00-00-${sessionId.slice(0, 8)}.jsonl`));
    expect(await outcome(() => home.export(sessionId))).not.toContain(marker);
    await expect(home.export(sessionId)).rejects.toMatchObject({ code: 'PROVIDER_FAILED' });
  });

  it('Copilot: refuses session events symlinked to a root-only file', async () => {
    const home = await CopilotHome.create(dir, 'job', join(dir, 'cache'));
    const session = join(home.home, '.copilot', 'session-state', sessionId);
    await mkdir(session, { recursive: true });
    await symlink(secret, join(session, 'events.jsonl'));
    expect(await outcome(() => home.export(sessionId, undefined))).not.toContain(marker);
    await expect(home.export(sessionId, undefined)).rejects.toMatchObject({ code: 'PROVIDER_FAILED' });
  });

  it('Copilot: reads no usage through a symlink, and none from a FIFO (a synchronous read would stop the worker)', async () => {
    const home = await CopilotHome.create(dir, 'job', join(dir, 'cache'));
    await writeFile(secret, '{"modelMetrics":{"m":{"usage":{"inputTokens":4242,"outputTokens":1}}}}');
    await symlink(secret, home.usageFile);
    expect(home.readUsage()).toBeUndefined();

    await rm(home.usageFile);
    await fifoAt(home.usageFile);
    // A writer that comes after a second: a read that waited for it would come back with its usage.
    const writer = spawn('sh', ['-c', `sleep 1; printf '{}' > '${home.usageFile}'`], { stdio: 'ignore' });
    try {
      const started = Date.now();
      expect(home.readUsage()).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      writer.kill('SIGKILL');
    }
  });
});

describe('handing a workspace to the agent’s user', () => {
  it('changes the owner of a symlink the workspace holds, never of what it points to', async () => {
    const workspace = join(dir, 'ws');
    await mkdir(join(workspace, 'src'), { recursive: true });
    await writeFile(join(workspace, 'src', 'a.ts'), 'export {};\n');
    // A repository (git checks symlinks out) or an earlier job in a named workspace left it.
    await symlink(rootOnly, join(workspace, 'evil'));
    await handOver(workspace, { uid: 54321, gid: 54321 });
    expect((await stat(secret)).uid).toBe(0);
    expect((await stat(rootOnly)).uid).toBe(0);
    expect((await lstat(join(workspace, 'evil'))).uid).toBe(54321);
    expect((await stat(join(workspace, 'src', 'a.ts'))).uid).toBe(54321);
  });
});

describe('the uncommitted work a snapshot keeps', () => {
  let checkout: RepoCheckout;
  const git = async (cwd: string, ...args: string[]) =>
    (await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', '-c', 'init.defaultBranch=main', ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' } })).stdout;
  const patchOf = async () => {
    const work = await testGitRepo(dir).saveWork(checkout, 1024 * 1024, new AbortController().signal);
    return work && Buffer.from(work.patch, 'base64').toString('utf8');
  };
  beforeEach(async () => {
    const directory = join(dir, 'ws');
    await mkdir(directory);
    await git(directory, 'init', '-q');
    await writeFile(join(directory, 'README.md'), '# api\n');
    await git(directory, 'add', '.');
    await git(directory, 'commit', '-qm', 'init');
    checkout = { directory, branch: 'main', baseCommit: (await git(directory, 'rev-parse', 'HEAD')).trim() };
    // A repository only root can read: what git, run as root, must not take into the patch.
    const repository = join(rootOnly, 'repo');
    await mkdir(repository);
    await git(repository, 'init', '-q');
    await writeFile(join(repository, 'credentials'), `${marker}\n`);
    await git(repository, 'add', '.');
    await git(repository, 'commit', '-qm', 'secret');
  });

  it('keeps a symlink as its target path and passes a FIFO over (git itself)', async () => {
    await symlink(secret, join(checkout.directory, 'link'));
    await fifoAt(join(checkout.directory, 'fifo'));
    await writeFile(join(checkout.directory, 'notes.txt'), 'mine\n');
    const patch = await patchOf();
    expect(patch).toContain(`+${secret}`);
    expect(patch).toMatch(/^diff --git a\/notes.txt b\/notes.txt$/m);
    expect(patch).not.toContain('fifo');
    expect(patch).not.toContain(marker);
  });

  it('takes no files from another directory named by core.worktree in the agent’s .git/config', async () => {
    await git(checkout.directory, 'config', 'core.worktree', rootOnly);
    await writeFile(join(checkout.directory, 'notes.txt'), 'mine\n');
    const patch = await outcome(patchOf);
    expect(patch).not.toContain(marker);
    expect(patch).toContain('notes.txt');
  });

  it('reads no other repository through alternates and a symlinked refs directory', async () => {
    const gitDir = join(checkout.directory, '.git');
    await writeFile(join(gitDir, 'objects', 'info', 'alternates'), `${join(rootOnly, 'repo', '.git', 'objects')}\n`);
    await rm(join(gitDir, 'refs', 'heads'), { recursive: true });
    await symlink(join(rootOnly, 'repo', '.git', 'refs', 'heads'), join(gitDir, 'refs', 'heads'));
    expect(await outcome(patchOf)).not.toContain(marker);
    await expect(patchOf()).rejects.toMatchObject({ code: 'REPO_FAILED' });
  });

  it('reads no other repository named by a .git file', async () => {
    await rm(join(checkout.directory, '.git'), { recursive: true });
    await writeFile(join(checkout.directory, '.git'), `gitdir: ${join(rootOnly, 'repo', '.git')}\n`);
    expect(await outcome(patchOf)).not.toContain(marker);
    await expect(patchOf()).rejects.toMatchObject({ code: 'REPO_FAILED' });
  });
});

// Its own user: a worker starting with AGENT_USER ends every process of that user, and the
// agent-user tests run beside this file.
const agentUser = 'uw-agent-symlinks';

/** The agent's own unprivileged user, as the image creates it (see agent-user.test.ts). */
function ensureAgentUser(): void {
  try {
    execFileSync('id', ['-u', agentUser]);
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', agentUser]);
  }
}

describe.skipIf(process.getuid?.() !== 0)('a job whose agent, as AGENT_USER, replaces its transcript with a symlink', () => {
  let api: ReferenceDbApi;
  let fx: E2eFixture;
  beforeAll(async () => {
    ensureAgentUser();
    api = await startReferenceDbApi();
    fx = await startE2e({ AGENT_USER: agentUser, DB_BASE_URL: api.url });
  });
  afterAll(async () => {
    await fx?.close();
    await api?.close();
  });

  it('keeps the root-only file out of the session snapshot in the database', async () => {
    const plant = `for f in "$HOME"/.claude/projects/*/*.jsonl; do ln -sf '${secret}' "$f"; done; echo planted`;
    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: plant, description: 'plant' } },
      { kind: 'text', text: 'done' },
    ]);
    const conversation = `symlinks-${Math.random().toString(36).slice(2, 10)}`;
    const body = executeBody({ providerOptions: { allowedTools: ['Bash'] }, database: { sessionId: conversation, accessToken: api.token } });
    const response = await postExecute(fx.worker.url, body, { token: apiToken });
    expect(response.status, response.status === 200 ? '' : await response.text()).toBe(200);
    const events = await collectEvents(response);
    await fx.worker.logged('job ended');
    const result = events.find((event) => (event.data.item as { kind?: string } | undefined)?.kind === 'tool_result');
    expect((result?.data.item as { output: string } | undefined)?.output, JSON.stringify(events.map((event) => event.data))).toContain('planted');

    // The session is not kept rather than kept with what the link points to; the job says so.
    expect(events.at(-1)?.data).toMatchObject({ type: 'error', code: 'PROVIDER_FAILED', message: expect.stringContaining('symbolic link') });
    const snapshot = await fetch(`${api.url}/sessions/${conversation}/snapshot`, { headers: { authorization: `Bearer ${api.token}` } });
    expect(await snapshot.text()).not.toContain(marker);
    expect(JSON.stringify(events)).not.toContain(marker);
  });
});
