import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitClient } from '../../src/adapters/repo/git-client.js';
import { DomainError } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { testGitRepo } from '../support/simple-git-repo.js';

let root: string;
let server: GitServer;
const never = new AbortController().signal;
beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'uw-adv-git-')));
  server = await startGitServer();
});
afterEach(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

async function workspace(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    return DomainError.from(error);
  }
  throw new Error('the attack succeeded');
}

describe('attack 1: a branch that reads a file', () => {
  it('is refused by the adapter itself, before git runs, and nothing of the file comes back', async () => {
    const repoUrl = await server.createRepo('api', { 'README.md': '# api\n' });
    const repo = testGitRepo(root);
    for (const branch of ['--pathspec-from-file=/proc/self/environ', '-b', 'main..x', 'a b']) {
      const error = await failure(repo.prepare({ repoUrl, branch, accessToken: new Secret(server.token) }, await workspace(`ws-${branch.length}`), () => undefined, never));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).not.toMatch(/PATH=|HOME=/);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('never forwards git output: a failing clone says only a fixed reason', async () => {
    const repoUrl = await server.createRepo('api', { 'README.md': '# api\n' });
    const error = await failure(testGitRepo(root).prepare({ repoUrl, branch: 'no-such', accessToken: new Secret(server.token) }, await workspace('ws'), () => undefined, never));
    expect(error.message).toBe('git clone failed: branch missing');
  });
});

describe('attack 2: local transports and redirects', () => {
  it('git itself refuses file:// and local paths, even past the URL check', async () => {
    const bare = join(root, 'local.git');
    await mkdir(bare);
    for (const url of [`file://${bare}`, bare]) {
      const git = gitClient(await workspace(`ws-${url.length}`), { path: process.env.PATH ?? '', home: await workspace('home'), emptyHooksDir: await workspace('hooks'), timeoutMs: 10_000, authorName: 'a', authorEmail: 'a@b.c' }, { repoUrl: 'https://github.com/acme/api.git', signal: never });
      await expect(git.clone(url, join(root, `clone-${url.length}`))).rejects.toThrow();
      expect(existsSync(join(root, `clone-${url.length}`, '.git'))).toBe(false);
    }
  });

  it('does not follow a redirect to another host, so the token is not sent there', async () => {
    const decoy = await startGitServer();
    const redirector = createServer((req, res) => {
      res.writeHead(302, { location: `${decoy.url}/api.git${(req.url ?? '').replace(/^\/api\.git/, '')}` });
      res.end();
    });
    redirector.listen(0, '127.0.0.1');
    await new Promise((resolve) => redirector.once('listening', resolve));
    try {
      await decoy.createRepo('api', { 'README.md': '# decoy\n' });
      const repoUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/api.git`;
      const error = await failure(testGitRepo(root).prepare({ repoUrl, accessToken: new Secret(decoy.token) }, await workspace('ws'), () => undefined, never));
      expect(error.code).toBe('REPO_FAILED');
      expect(decoy.requests).toHaveLength(0);
    } finally {
      redirector.close();
      await decoy.close();
    }
  });
});
