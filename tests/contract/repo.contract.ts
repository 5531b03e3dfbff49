import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RepoPort, RepoProgress, RepoSpec } from '../../src/application/ports/repo.port.js';
import { DomainError } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';

/** A remote the contract can shape: neutral words, each harness makes them real. */
export interface Upstream {
  createRepo(name: string, files: Record<string, string>, options?: { branches?: string[] }): Promise<string>;
  commit(name: string, branch: string, files: Record<string, string>): Promise<void>;
  protect(name: string, branch: string): Promise<void>;
  fileOn(name: string, branch: string, path: string): Promise<string | undefined>;
  token: string;
}

export interface RepoFixture {
  repo: RepoPort;
  upstream: Upstream;
  /** A fresh, empty directory per call. */
  workspace(): Promise<string>;
  close(): Promise<void>;
}

export interface RepoHarness {
  name: string;
  create(): Promise<RepoFixture>;
}

const noProgress = (): void => undefined;
const never = new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    return DomainError.from(error);
  }
  throw new Error('expected a failure');
}

export function describeRepoContract(harness: RepoHarness): void {
  describe(`RepoPort contract: ${harness.name}`, () => {
    let fx: RepoFixture;
    let spec: (name: string, extra?: Partial<RepoSpec>) => Promise<RepoSpec>;
    beforeEach(async () => {
      fx = await harness.create();
      spec = async (name, extra = {}) => ({
        repoUrl: await fx.upstream.createRepo(name, { 'README.md': '# api\n', 'src/app.ts': 'export {};\n' }, { branches: ['develop'] }),
        accessToken: new Secret(fx.upstream.token),
        ...extra,
      });
    });
    afterEach(async () => fx.close());

    it('clones the default branch into an empty workspace and reports where it stands', async () => {
      const workspace = await fx.workspace();
      const progress: RepoProgress[] = [];
      const checkout = await fx.repo.prepare(await spec('api'), workspace, (p) => progress.push(p), never);
      expect(checkout).toMatchObject({ directory: workspace, branch: 'main', baseCommit: expect.stringMatching(/^[0-9a-f]{40}$/) });
      expect(await readFile(join(workspace, 'src/app.ts'), 'utf8')).toBe('export {};\n');
      expect(progress.every((p) => ['clone', 'fetch', 'checkout'].includes(p.stage))).toBe(true);
    });

    it('checks out the requested branch', async () => {
      const workspace = await fx.workspace();
      const checkout = await fx.repo.prepare(await spec('api', { branch: 'develop' }), workspace, noProgress, never);
      expect(checkout.branch).toBe('develop');
    });

    it('fetches and fast-forwards a workspace that already holds the repository', async () => {
      const workspace = await fx.workspace();
      const repoSpec = await spec('api');
      const first = await fx.repo.prepare(repoSpec, workspace, noProgress, never);
      await fx.upstream.commit('api', 'main', { 'src/app.ts': 'export const v = 2;\n' });
      const second = await fx.repo.prepare(repoSpec, workspace, noProgress, never);
      expect(second.baseCommit).not.toBe(first.baseCommit);
      expect(await readFile(join(workspace, 'src/app.ts'), 'utf8')).toBe('export const v = 2;\n');
    });

    it('reports the changes without pushing when no push is asked for', async () => {
      const workspace = await fx.workspace();
      const repoSpec = await spec('api');
      const checkout = await fx.repo.prepare(repoSpec, workspace, noProgress, never);
      await writeFile(join(workspace, 'hello.ts'), 'a\nb\n');
      await writeFile(join(workspace, 'README.md'), '# api\nmore\n');
      const changes = await fx.repo.publish(repoSpec, checkout, never);
      expect(changes).toMatchObject({ branch: 'main', baseCommit: checkout.baseCommit, pushed: false });
      expect(changes.filesChanged).toEqual(
        expect.arrayContaining([
          { path: 'hello.ts', status: 'added', additions: 2, deletions: 0 },
          { path: 'README.md', status: 'modified', additions: 1, deletions: 0 },
        ]),
      );
      expect(changes.filesChanged).toHaveLength(2);
    });

    it('commits every change and pushes the requested branch', async () => {
      const workspace = await fx.workspace();
      const repoSpec = await spec('api', { push: { branch: 'agent/fix-123', commitMessage: 'Add hello' } });
      const checkout = await fx.repo.prepare(repoSpec, workspace, noProgress, never);
      await mkdir(join(workspace, 'lib'), { recursive: true });
      await writeFile(join(workspace, 'lib/hello.ts'), 'export const hello = 1;\n');
      const changes = await fx.repo.publish(repoSpec, checkout, never);
      expect(changes).toMatchObject({ branch: 'agent/fix-123', pushed: true, filesChanged: [{ path: 'lib/hello.ts', status: 'added', additions: 1, deletions: 0 }] });
      expect(changes.headCommit).not.toBe(checkout.baseCommit);
      expect(await fx.upstream.fileOn('api', 'agent/fix-123', 'lib/hello.ts')).toBe('export const hello = 1;\n');
    });

    it('keeps the commit and reports pushed false with a reason when the branch is protected', async () => {
      const workspace = await fx.workspace();
      const repoSpec = await spec('api', { push: { branch: 'main' } });
      await fx.upstream.protect('api', 'main');
      const checkout = await fx.repo.prepare(repoSpec, workspace, noProgress, never);
      await writeFile(join(workspace, 'x.txt'), 'x\n');
      const changes = await fx.repo.publish(repoSpec, checkout, never);
      expect(changes.pushed).toBe(false);
      expect(changes.pushError).toMatch(/protected/);
      expect(changes.headCommit).toMatch(/^[0-9a-f]{40}$/);
    });

    it('reports a push that is not a fast-forward as pushed false', async () => {
      const workspace = await fx.workspace();
      const repoSpec = await spec('api', { push: { branch: 'develop' } });
      const checkout = await fx.repo.prepare(repoSpec, workspace, noProgress, never);
      await fx.upstream.commit('api', 'develop', { 'other.txt': 'someone else\n' });
      await writeFile(join(workspace, 'x.txt'), 'x\n');
      const changes = await fx.repo.publish(repoSpec, checkout, never);
      expect(changes).toMatchObject({ pushed: false, pushError: expect.stringMatching(/rejected/) });
    });

    it.each([
      ['a wrong token', async (s: RepoSpec) => ({ ...s, accessToken: new Secret('ghp_wrong_token_value') }), /authentication failed/],
      ['an unknown repository', async (s: RepoSpec) => ({ ...s, repoUrl: s.repoUrl.replace('api.git', 'nope.git') }), /repository not found/],
      ['a missing branch', async (s: RepoSpec) => ({ ...s, branch: 'no-such-branch' }), /branch missing/],
    ])('fails with REPO_FAILED and a reason for %s', async (_name, change, reason) => {
      const workspace = await fx.workspace();
      const error = await failure(fx.repo.prepare(await change(await spec('api')), workspace, noProgress, never));
      expect(error.code).toBe('REPO_FAILED');
      expect(error.message).toMatch(reason);
    });

    it.each([
      'file:///etc',
      '/srv/repo.git',
      'ext::sh -c touch% /tmp/pwned',
      'ssh://git@github.com/acme/api.git',
      'git@github.com:acme/api.git',
      '--upload-pack=touch /tmp/pwned',
      'https://user:token@github.com/acme/api.git',
      'https://evil.example/acme/api.git',
      'http://github.com/acme/api.git',
    ])('refuses %s before any git process runs', (repoUrl) => {
      expect(fx.repo.validate({ repoUrl }).map((issue) => issue.path)).toEqual(['repoUrl']);
    });
  });
}
