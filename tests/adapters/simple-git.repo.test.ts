import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/domain/secret.js';
import { describeRepoContract, type RepoFixture } from '../contract/repo.contract.js';
import { startGitServer } from '../support/git-server.js';
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
