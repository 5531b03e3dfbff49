import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RepoProgress, RepoSpec } from '../../src/application/ports/repo.port.js';
import { Secret } from '../../src/domain/secret.js';
import { describeRepoContract, type RepoFixture } from '../contract/repo.contract.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { testGitRepo } from '../support/simple-git-repo.js';

const harness = (cache: boolean) => ({
  name: `simple-git against git http-backend on loopback${cache ? ', with an object cache' : ''}`,
  async create(): Promise<RepoFixture> {
    const server = await startGitServer();
    const root = await realpath(await mkdtemp(join(tmpdir(), 'uw-repo-')));
    let n = 0;
    const repo = testGitRepo(root, cache ? { cacheDir: join(root, 'cache') } : {});
    return {
      repo,
      upstream: {
        token: server.token,
        createRepo: (name, files, options) => server.createRepo(name, files, options),
        commit: (name, branch, files) => server.commit(name, branch, files),
        protect: (name, branch) => server.protect(name, branch),
        fileOn: (name, branch, path) => server.git(name, 'show', `${branch}:${path}`).catch(() => undefined),
      },
      bookkeeping: '.git',
      workspace: async () => {
        const dir = join(root, `ws-${++n}`);
        await mkdir(dir, { recursive: true });
        return dir;
      },
      close: async () => {
        await server.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  },
});

describeRepoContract(harness(false));
describeRepoContract(harness(true));

describe('SimpleGitRepo against a workspace the agent has tampered with', () => {
  it('runs no planted hook or fsmonitor, follows no planted URL rewrite and sends the token nowhere else', async () => {
    const server = await startGitServer();
    const decoy = await startGitServer();
    const root = await realpath(await mkdtemp(join(tmpdir(), 'uw-repo-')));
    try {
      const repo = testGitRepo(root);
      const repoUrl = await server.createRepo('api', { 'README.md': '# api\n' });
      await decoy.createRepo('api', { 'README.md': '# decoy\n' });
      const workspace = join(root, 'ws');
      await mkdir(workspace);
      const spec = { repoUrl, accessToken: new Secret(server.token), push: { branch: 'agent/x' } };
      const checkout = await repo.prepare(spec, workspace, () => undefined, new AbortController().signal);

      // What an agent could plant between the clone and the push.
      const marker = join(root, 'pwned');
      const hook = join(workspace, '.git', 'hooks', 'pre-commit');
      await writeFile(hook, `#!/bin/sh\ntouch ${marker}\n`);
      await chmod(hook, 0o755);
      const config = join(workspace, '.git', 'config');
      await appendFile(config, `[core]\n\tfsmonitor = touch ${marker}\n[url "${decoy.url}/"]\n\tinsteadOf = ${server.url}/\n[http]\n\textraHeader = X-Planted: 1\n`);
      await writeFile(join(workspace, 'work.txt'), 'done\n');

      const changes = await repo.publish(spec, checkout, new AbortController().signal);
      expect(changes.pushed).toBe(true);
      expect(await server.git('api', 'show', 'agent/x:work.txt')).toBe('done\n');
      expect(existsSync(marker)).toBe(false);
      expect(decoy.requests).toHaveLength(0);
    } finally {
      await server.close();
      await decoy.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('SimpleGitRepo against a remote that stops answering', () => {
  it('gives up after GIT_TIMEOUT_MS of silence with a retryable network timeout', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer(() => undefined);
    silent.on('connection', (socket) => sockets.add(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const root = await realpath(await mkdtemp(join(tmpdir(), 'uw-repo-')));
    try {
      const repo = testGitRepo(root, { timeoutMs: 1000 });
      const { port } = silent.address() as import('node:net').AddressInfo;
      await mkdir(join(root, 'ws'));
      const attempt = repo.prepare({ repoUrl: `http://127.0.0.1:${port}/api.git` }, join(root, 'ws'), () => undefined, new AbortController().signal);
      await expect(attempt).rejects.toMatchObject({ code: 'REPO_FAILED', message: 'git clone failed: network timeout', retryable: true });
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('SimpleGitRepo reporting progress', () => {
  const never = new AbortController().signal;
  // Random contents neither compress nor delta: some MB in many objects, and a meter for each
  // of git's phases. Branch first holds 600 files; main adds 300 more.
  const commit = (ref: string, parent: string | undefined, prefix: string, count: number): string =>
    [`commit ${ref}\ncommitter Upstream <upstream@example.test> 0 +0000\ndata 5\nfiles\n${parent ? `from ${parent}\n` : ''}`]
      .concat(Array.from({ length: count }, (_, i) => {
        const body = randomBytes(6000).toString('base64');
        return `M 100644 inline ${prefix}${i % 20}/file-${i}.txt\ndata ${body.length}\n${body}\n`;
      }))
      .join('');
  const history = () => commit('refs/heads/first', undefined, 'src', 600) + commit('refs/heads/main', 'refs/heads/first', 'lib', 300);

  /** The percents reported for each stage and phase, in order. */
  const byPhase = (progress: RepoProgress[]): Map<string, number[]> => {
    const phases = new Map<string, number[]>();
    for (const p of progress) phases.set(`${p.stage}/${p.phase}`, [...(phases.get(`${p.stage}/${p.phase}`) ?? []), p.percent]);
    return phases;
  };
  const expectEachPhaseFrom0To100 = (progress: RepoProgress[]) => {
    for (const [phase, percents] of byPhase(progress)) {
      expect(percents[0], phase).toBe(0);
      expect(percents.at(-1), phase).toBe(100);
      expect(percents, phase).toEqual([...percents].sort((a, b) => a - b));
    }
  };

  let server: GitServer;
  let root: string;
  let spec: RepoSpec;
  beforeEach(async () => {
    server = await startGitServer();
    root = await realpath(await mkdtemp(join(tmpdir(), 'uw-progress-')));
    spec = { repoUrl: await server.importRepo('big', history()), accessToken: new Secret(server.token) };
    await mkdir(join(root, 'ws'));
  });
  afterEach(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  for (const cache of [false, true]) {
    it(`names each of git's phases, each from 0 to 100, and checks the files out as its own stage${cache ? ', with an object cache' : ''}`, async () => {
      const repo = testGitRepo(root, cache ? { cacheDir: join(root, 'cache') } : {});
      const progress: RepoProgress[] = [];
      await repo.prepare(spec, join(root, 'ws'), (p) => progress.push(p), never);

      expectEachPhaseFrom0To100(progress);
      expect(progress.every((p) => p.phase !== undefined)).toBe(true);
      expect([...byPhase(progress).keys()]).toEqual(expect.arrayContaining(['clone/receiving objects', 'checkout/updating files']));
      expect(progress.some((p) => p.stage === 'clone' && p.phase === 'receiving objects' && p.total > 0)).toBe(true);
      expect(progress.some((p) => p.stage === 'checkout' && p.total === 900)).toBe(true);
    });
  }

  it('brings a fetch to 100 and reports the checkout of the branch it brought', async () => {
    const repo = testGitRepo(root);
    await repo.prepare({ ...spec, branch: 'first' }, join(root, 'ws'), () => undefined, never);

    const progress: RepoProgress[] = [];
    await repo.prepare({ ...spec, branch: 'main' }, join(root, 'ws'), (p) => progress.push(p), never);

    expectEachPhaseFrom0To100(progress);
    expect(progress.some((p) => p.stage === 'fetch' && p.total > 0)).toBe(true);
    expect(progress.filter((p) => p.stage === 'fetch').at(-1)?.percent).toBe(100);
    expect(progress.some((p) => p.stage === 'checkout' && p.phase === 'updating files' && p.total === 300)).toBe(true);
    expect(progress.every((p) => p.stage !== 'clone')).toBe(true);
  });

  it('reports a fetch that brings nothing, and a checkout that changes nothing, from 0 to 100', async () => {
    const repo = testGitRepo(root);
    await repo.prepare(spec, join(root, 'ws'), () => undefined, never);

    const progress: RepoProgress[] = [];
    await repo.prepare(spec, join(root, 'ws'), (p) => progress.push(p), never);

    expect(progress.map((p) => [p.stage, p.phase, p.percent])).toEqual([
      ['fetch', 'receiving objects', 0],
      ['fetch', 'receiving objects', 100],
      ['checkout', 'updating files', 0],
      ['checkout', 'updating files', 100],
    ]);
  });
});

describe('SimpleGitRepo keeping work in progress', () => {
  const never = new AbortController().signal;
  const run = promisify(execFile);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  const git = async (dir: string, ...args: string[]) => (await run('git', args, { cwd: dir, env })).stdout;
  let server: GitServer;
  let root: string;
  let spec: RepoSpec;
  let n = 0;
  const workspace = async () => {
    const dir = join(root, `ws-${++n}`);
    await mkdir(dir);
    return dir;
  };
  beforeEach(async () => {
    server = await startGitServer();
    root = await realpath(await mkdtemp(join(tmpdir(), 'uw-wip-')));
    spec = {
      repoUrl: await server.createRepo('api', { 'README.md': '# api\n', 'notes.txt': 'one\ntwo\nthree\nfour\nfive\n' }),
      accessToken: new Secret(server.token),
    };
  });
  afterEach(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('saves staged, unstaged and untracked changes without touching the index', async () => {
    const repo = testGitRepo(root);
    const checkout = await repo.prepare(spec, await workspace(), () => undefined, never);
    await writeFile(join(checkout.directory, 'README.md'), '# api\nstaged\n');
    await git(checkout.directory, 'add', 'README.md');
    await writeFile(join(checkout.directory, 'notes.txt'), 'one\n');
    await writeFile(join(checkout.directory, 'new.txt'), 'untracked\n');
    const status = await git(checkout.directory, 'status', '--porcelain');
    const index = await readFile(join(checkout.directory, '.git', 'index'));

    const work = await repo.saveWork(checkout, 1024 * 1024, never);
    expect(await readFile(join(checkout.directory, '.git', 'index'))).toEqual(index);
    expect(await git(checkout.directory, 'status', '--porcelain')).toBe(status);
    const patch = Buffer.from(work!.patch, 'base64').toString('utf8');
    expect(patch).toMatch(/^diff --git a\/README.md b\/README.md$/m);
    expect(patch).toMatch(/^diff --git a\/notes.txt b\/notes.txt$/m);
    expect(patch).toMatch(/^diff --git a\/new.txt b\/new.txt$/m);
  });

  it('restores new files as untracked and leaves the index as the checkout made it', async () => {
    const repo = testGitRepo(root);
    const checkout = await repo.prepare(spec, await workspace(), () => undefined, never);
    await writeFile(join(checkout.directory, 'README.md'), '# api\nmore\n');
    await mkdir(join(checkout.directory, 'lib'));
    await writeFile(join(checkout.directory, 'lib/hello.ts'), 'export {};\n');
    const work = await repo.saveWork(checkout, 1024 * 1024, never);

    const fresh = await repo.prepare(spec, await workspace(), () => undefined, never);
    await repo.restoreWork(fresh, work!, never);
    expect(await git(fresh.directory, 'diff', '--cached', '--name-only')).toBe('');
    expect((await git(fresh.directory, 'status', '--porcelain')).split('\n').filter(Boolean).sort()).toEqual([' M README.md', '?? lib/']);
  });

  it('merges saved work three ways onto a branch that moved next to it, when the base objects are cached', async () => {
    const repo = testGitRepo(root, { cacheDir: join(root, 'cache') });
    const checkout = await repo.prepare(spec, await workspace(), () => undefined, never);
    await writeFile(join(checkout.directory, 'notes.txt'), 'one\ntwo\nthree\nFOUR\nfive\n');
    const work = await repo.saveWork(checkout, 1024 * 1024, never);
    await server.commit('api', 'main', { 'notes.txt': 'one\nTWO\nthree\nfour\nfive\n' });

    const fresh = await repo.prepare(spec, await workspace(), () => undefined, never);
    await repo.restoreWork(fresh, work!, never);
    expect(await readFile(join(fresh.directory, 'notes.txt'), 'utf8')).toBe('one\nTWO\nthree\nFOUR\nfive\n');
    expect(await git(fresh.directory, 'status', '--porcelain')).toBe(' M notes.txt\n');
  });

  it('runs no filter or merge driver planted in the repository while saving or restoring', async () => {
    const repo = testGitRepo(root, { cacheDir: join(root, 'cache') });
    const marker = join(root, 'pwned');
    const plant = async (dir: string) => {
      const filter = `[filter "evil"]\n\tclean = touch ${marker}\n\tsmudge = touch ${marker}\n\trequired = true\n`;
      await appendFile(join(dir, '.git', 'config'), `${filter}[merge "evil"]\n\tdriver = touch ${marker}\n`);
      await mkdir(join(dir, '.git', 'info'), { recursive: true });
      await writeFile(join(dir, '.git', 'info', 'attributes'), '* filter=evil merge=evil\n');
    };
    const checkout = await repo.prepare(spec, await workspace(), () => undefined, never);
    await plant(checkout.directory);
    await writeFile(join(checkout.directory, 'notes.txt'), 'one\ntwo\nthree\nFOUR\nfive\n');
    const work = await repo.saveWork(checkout, 1024 * 1024, never);
    expect(work).toBeDefined();
    expect(existsSync(marker)).toBe(false);
    await server.commit('api', 'main', { 'notes.txt': 'one\nTWO\nthree\nfour\nfive\n' });

    const fresh = await repo.prepare(spec, await workspace(), () => undefined, never);
    await plant(fresh.directory);
    await expect(repo.restoreWork(fresh, work!, never)).rejects.toMatchObject({ code: 'REPO_FAILED' });
    expect(existsSync(marker)).toBe(false);
  });
});
