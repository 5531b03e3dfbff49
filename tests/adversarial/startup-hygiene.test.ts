import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { postExecute } from '../support/sse-client.js';
import { projectRoot } from '../support/worker-process.js';

/**
 * A user of this file's own: a worker that starts kills whatever its AGENT_USER runs, so sharing
 * the other suites' user would kill their agents when files run side by side.
 */
const agentUser = 'uw-agent-startup';

function ensureUser(name: string): { uid: number; gid: number } {
  const ids = () => ({ uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8' })) });
  try {
    return ids();
  } catch {
    if (process.getuid?.() !== 0) throw new Error(`user ${name} is missing and only root can create it (useradd --system ${name})`);
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
    return ids();
  }
}

/** Live processes of `uid` (a killed one may stay a zombie until its new parent reaps it), with their parents. */
function processesOf(uid: number): Array<{ pid: number; ppid: number; name: string }> {
  return readdirSync('/proc').flatMap((entry) => {
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const field = (name: string) => new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(status)?.[1];
      if (Number(field('Uid')) !== uid || field('State') === 'Z') return [];
      return [{ pid: Number(entry), ppid: Number(field('PPid')), name: field('Name') ?? '' }];
    } catch {
      return [];
    }
  });
}

function isLive(pid: number): boolean {
  try {
    return /^State:\s+[^Z\s]/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Whether `pid` is gone (or a zombie) within `ms`. */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isLive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return !isLive(pid);
}

/** Ends what this file's own user still runs, whatever a failed test left behind. */
function killAllOf(uid: number): void {
  for (const { pid } of processesOf(uid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

describe.skipIf(process.getuid?.() !== 0)('a worker that runs its agents as AGENT_USER, as it starts', () => {
  let user: { uid: number; gid: number };
  let binDir: string;
  let fx: E2eFixture | undefined;
  beforeAll(async () => {
    user = ensureUser(agentUser);
    binDir = await mkdtemp(join(tmpdir(), 'uw-agent-bin-'));
    await chmod(binDir, 0o755);
  });
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
    killAllOf(user.uid);
  });
  afterAll(async () => {
    await rm(binDir, { recursive: true, force: true });
  });

  it('refuses to start, with exit code 2 and what to fix, when that user cannot reach WORKSPACE_DIR', async () => {
    // mkdtemp makes the parent 0700, root's: the agent cannot pass it to reach the workspace below.
    const closed = await realpath(await mkdtemp(join(tmpdir(), 'uw-closed-')));
    const workspaceDir = join(closed, 'workspace');
    await mkdir(workspaceDir);
    const worker = spawn(process.execPath, ['dist/worker.mjs'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: '0', HOST: '127.0.0.1', WORKER_API_TOKEN: apiToken, WORKSPACE_DIR: workspaceDir, AGENT_USER: agentUser },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // 'close', not 'exit': by then everything it wrote to stderr has been read.
    const exited = once(worker, 'close').then(([code]) => ({ code: code as number | null }));
    try {
      let stderr = '';
      worker.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      const listened = new Promise<{ listened: true }>((resolve) => {
        worker.stdout.on('data', (chunk: Buffer) => chunk.includes('"msg":"listening"') && resolve({ listened: true }));
      });

      expect(await Promise.race([exited, listened])).toEqual({ code: 2 });
      expect(stderr).toContain(`${agentUser} (uid ${user.uid}) cannot write in WORKSPACE_DIR ${workspaceDir}`);
      expect(stderr).toContain(`chmod o+x ${closed}`);
      expect(stderr).toContain('Every directory above WORKSPACE_DIR must let');
    } finally {
      // A worker that started anyway is this test's own child.
      if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
      await exited;
      await rm(closed, { recursive: true, force: true });
    }
  });

  it("kills what that user still runs (a crashed predecessor's agents) before it listens", async () => {
    const orphan = spawn('sleep', ['300'], { uid: user.uid, gid: user.gid, cwd: '/', stdio: 'ignore' });
    const orphanExit = once(orphan, 'exit');

    fx = await startE2e({ AGENT_USER: agentUser });

    expect(await goneWithin(orphan.pid!, 2_000)).toBe(true);
    expect(await orphanExit).toEqual([null, 'SIGKILL']);
    const swept = await fx.worker.logged("AGENT_USER had processes running at start (a previous worker's agents); killed");
    expect(swept.uid).toBe(user.uid);
    expect(swept.killed).toBeGreaterThanOrEqual(1);
  });

  it('takes its running CLI down with it when it is killed with SIGKILL', async () => {
    // A CLI that never notices its worker has gone: Claude Code 2.1 happens to exit soon after
    // on its own, which nothing promises of a CLI stuck in a call.
    const cli = join(binDir, 'waiting-cli');
    await writeFile(cli, '#!/bin/sh\nexec sleep 300\n', { mode: 0o755 });
    fx = await startE2e({ AGENT_USER: agentUser, CLAUDE_CODE_PATH: cli });
    const response = await postExecute(fx.worker.url, executeBody(), { token: apiToken });
    // Past setpriv, which sets the parent-death signal before it runs the CLI.
    const isCli = (p: { ppid: number; name: string }) => p.ppid === fx!.worker.pid && p.name === 'sleep';
    let running: { pid: number } | undefined;
    while (!(running = processesOf(user.uid).find(isCli))) await new Promise((resolve) => setTimeout(resolve, 50));

    process.kill(fx.worker.pid, 'SIGKILL');
    await fx.worker.exited;
    await response.body?.cancel().catch(() => undefined);

    expect(await goneWithin(running.pid, 2_000)).toBe(true);
  });
});
