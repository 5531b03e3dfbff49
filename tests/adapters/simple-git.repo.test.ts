import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimpleGitRepo } from '../../src/adapters/repo/index.js';
import { describeRepoContract, type RepoFixture } from '../contract/repo.contract.js';
import { startGitServer } from '../support/git-server.js';

describeRepoContract({
  name: 'simple-git against git http-backend on loopback',
  async create(): Promise<RepoFixture> {
    const server = await startGitServer();
    const root = await realpath(await mkdtemp(join(tmpdir(), 'uw-repo-')));
    let n = 0;
    const repo = new SimpleGitRepo({
      allowedHosts: ['github.com'],
      insecureHosts: ['127.0.0.1'],
      stateDir: join(root, 'state'),
      path: process.env.PATH ?? '/usr/bin:/bin',
      timeoutMs: 20_000,
      authorName: 'unified-worker',
      authorEmail: 'worker@example.test',
      progressIntervalMs: 100,
    });
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
        await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
        return dir;
      },
      close: async () => {
        await server.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  },
});
