import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cwdOf } from '../support/scripted-anthropic.js';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { claudeExecutable } from '../support/claude-harness.js';
import { startGitServer } from '../support/git-server.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

const agentUser = 'uw-agent';

/** The agent's own unprivileged user, as the image creates it; the suite runs as root to create it here. */
function ensureAgentUser(): number {
  try {
    return Number(execFileSync('id', ['-u', agentUser], { encoding: 'utf8' }));
  } catch {
    if (process.getuid?.() !== 0) throw new Error(`user ${agentUser} is missing and only root can create it (useradd --system ${agentUser})`);
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', agentUser]);
    return Number(execFileSync('id', ['-u', agentUser], { encoding: 'utf8' }));
  }
}

/** Running processes of a user; a killed one may linger as a zombie until PID 1 reaps it (tini does in the image). */
/** Whether every directory above `path` lets other users pass: a checkout in a 0700 dir does not. */
function reachableByOthers(path: string): boolean {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === '/') return true;
  }
}

function processesOf(uid: number): string[] {
  let lines: string[];
  try {
    lines = execFileSync('ps', ['-u', String(uid), '-o', 'pid=,stat=,args='], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // ps exits 1 when the user has no process at all
  }
  return lines.filter((line) => !/^\s*\d+\s+Z/.test(line));
}

const readWorkerEnviron = (workerPid: number) =>
  `cat /proc/${workerPid}/environ > /dev/null 2>&1 && echo "worker environ readable" || echo "worker environ denied"`;

describe('without AGENT_USER, the attack this closes', () => {
  let fx: E2eFixture;
  beforeAll(async () => {
    fx = await startE2e();
  });
  afterAll(async () => fx?.close());

  it("an agent running as the worker's own user can read the worker's environment", async () => {
    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: readWorkerEnviron(fx.worker.pid), description: 'probe' } },
      { kind: 'text', text: 'done' },
    ]);
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ providerOptions: { allowedTools: ['Bash'] } }), { token: apiToken }));
    const result = events.find((event) => (event.data.item as { kind?: string } | undefined)?.kind === 'tool_result');
    expect((result?.data.item as { output: string }).output).toContain('worker environ readable');
  });
});

describe('the agent as a user of its own (AGENT_USER)', () => {
  let fx: E2eFixture;
  let uid: number;
  let binDir: string | undefined;
  beforeAll(async () => {
    uid = ensureAgentUser();
    // The image installs the CLIs where every user can run them; a checkout may sit in a private dir.
    let claude = claudeExecutable;
    if (!reachableByOthers(claude)) {
      binDir = await mkdtemp(join(tmpdir(), 'uw-agent-bin-'));
      await chmod(binDir, 0o755);
      claude = join(binDir, 'claude');
      await copyFile(claudeExecutable, claude);
      await chmod(claude, 0o755);
    }
    fx = await startE2e({ AGENT_USER: agentUser, GIT_ALLOWED_INSECURE_HOSTS: '127.0.0.1', CLAUDE_CODE_PATH: claude });
  });
  afterAll(async () => {
    await fx?.close();
    if (binDir) await rm(binDir, { recursive: true, force: true });
  });

  it("cannot read the worker's environment, and what it leaves running is killed with the job", async () => {
    // Every ancestor's environ (the CLI's is its own; the worker's holds WORKER_API_TOKEN), then a
    // sleeper in a session of its own that a process-group kill would miss.
    const probe = [
      'id -un',
      'p=$$; while [ "$p" -gt 1 ]; do if cat /proc/$p/environ > /dev/null 2>&1; then echo "pid $p readable"; cat /proc/$p/environ | tr "\\0" "\\n" | grep -c "^WORKER_API_TOKEN=" ; else echo "pid $p denied"; fi; p=$(ps -o ppid= -p "$p" | tr -d " "); done',
      '(setsid sleep 321 > /dev/null 2>&1 &)',
      'echo probed',
    ].join('; ');
    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: probe, description: 'probe' } },
      { kind: 'text', text: 'done probing' },
    ]);
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ providerOptions: { allowedTools: ['Bash'] } }), { token: apiToken }));
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed' });
    const result = events.find((event) => (event.data.item as { kind?: string } | undefined)?.kind === 'tool_result');
    const output = (result?.data.item as { output: string }).output;
    expect(output).toContain(agentUser);
    expect(output).toContain(`pid ${fx.worker.pid} denied`);
    expect(output).not.toContain(apiToken);
    expect(output).toContain('probed');

    const swept = await fx.worker.logged('the agent left processes running; killed');
    expect(swept.killed).toBeGreaterThanOrEqual(1);
    expect(processesOf(uid)).toEqual([]);
  });

  it('works in a repository it was handed, and the worker still commits and pushes what it wrote', async () => {
    const git = await startGitServer();
    try {
      const repoUrl = await git.createRepo('api', { 'README.md': '# api\n' });
      fx.model.script([
        { kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request)!, 'hello.ts'), content: 'export {};\n' }) },
        { kind: 'text', text: 'written' },
      ]);
      const github = { repoUrl, accessToken: git.token, push: { branch: 'agent/as-agent' } };
      const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ github }), { token: apiToken }));
      expect(events.at(-1)?.data).toMatchObject({
        type: 'completed',
        changes: { pushed: true, filesChanged: [{ path: 'hello.ts', status: 'added' }] },
      });
    } finally {
      await git.close();
    }
  });
});
