import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { processesInside, processTexts } from '../support/processes.js';
import { projectRoot } from '../support/worker-process.js';
import { testGitRepo } from '../support/simple-git-repo.js';
import { startStallingGitProxy, type StallingGitProxy } from '../support/stalling-git-proxy.js';

// Far below the pack of three MiB-sized random files, far above the ref advertisement.
const passBytes = 64 * 1024;
// How long git's helpers may take to go once the clone has failed.
const leftoverMs = 1000;

let root: string;
let ws: string;
let server: GitServer;
let proxy: StallingGitProxy;
let repoUrl: string;
beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'uw-adv-git-timeout-')));
  ws = join(root, 'ws');
  await mkdir(ws);
  server = await startGitServer();
  const files = Object.fromEntries(['a', 'b', 'c'].map((name) => [`${name}.txt`, randomBytes(1024 * 1024).toString('base64')]));
  const direct = await server.createRepo('big', files);
  proxy = await startStallingGitProxy(server.url, passBytes);
  repoUrl = direct.replace(server.url, proxy.url);
});
afterEach(async () => {
  // What a failed assertion left running was started by this test: it goes by its pid.
  for (const { pid } of leftovers()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  await proxy.close();
  await server.close();
  await rm(root, { recursive: true, force: true });
});

/** Every process still working in the workspace or talking to the stalling host. */
function leftovers(): Array<{ pid: number; argv: string }> {
  const inside = new Set(processesInside(ws));
  return processTexts()
    .filter(({ pid, argv }) => inside.has(pid) || argv.includes(proxy.url) || argv.includes(ws))
    .map(({ pid, argv }) => ({ pid, argv }));
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 25));
}

/** Leftovers once they have had leftoverMs to go; polled, so a clean end is seen at once. */
async function leftoversAfterGrace(): Promise<Array<{ pid: number; argv: string }>> {
  const deadline = Date.now() + leftoverMs;
  await waitFor(() => leftovers().length === 0 || Date.now() >= deadline);
  return leftovers();
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    return DomainError.from(error);
  }
  throw new Error('the clone succeeded through a stalled pack');
}

describe('attack: a git host that stalls in the middle of the pack', () => {
  it('ends the clone with a network timeout and leaves no git helper running', async () => {
    const repo = testGitRepo(root, { timeoutMs: 1500 });
    const error = await failure(repo.prepare({ repoUrl, accessToken: new Secret(server.token) }, ws, () => undefined, new AbortController().signal));
    expect(proxy.stalled()).toBe(true);
    expect(error).toMatchObject({ code: 'REPO_FAILED', message: 'git clone failed: network timeout' });
    expect(await leftoversAfterGrace()).toEqual([]);
  });

  it('leaves no git helper running when the job is cancelled mid-pack', async () => {
    const repo = testGitRepo(root);
    const controller = new AbortController();
    const cloning = failure(repo.prepare({ repoUrl, accessToken: new Secret(server.token) }, ws, () => undefined, controller.signal));
    await waitFor(() => proxy.stalled());
    controller.abort(new DomainError('CANCELLED', 'the client went away'));
    expect((await cloning).code).toBe('CANCELLED');
    expect(await leftoversAfterGrace()).toEqual([]);
  });

  it('leaves no git helper running when the worker exits mid-pack', async () => {
    const worker = spawn(process.execPath, ['--import', 'tsx', 'tests/support/clone-until-told.ts', root, ws, repoUrl], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_TEST_TOKEN: server.token },
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    const exited = once(worker, 'exit');
    await waitFor(() => proxy.stalled());
    worker.stdin.end('exit\n');
    expect(await exited).toEqual([0, null]);
    expect(await leftoversAfterGrace()).toEqual([]);
  });
});
