import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RepoCheckout, RepoPort, RepoProgress, RepoSpec } from '../../src/application/ports/repo.port.js';
import { DomainError } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';
import type { WorkInProgress } from '../../src/domain/session.js';

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
  /** The top-level entry the adapter keeps its own records in within a checkout (git's `.git`). */
  bookkeeping: string;
  close(): Promise<void>;
}

export interface RepoHarness {
  name: string;
  create(): Promise<RepoFixture>;
}

const noProgress = (): void => undefined;
const never = new AbortController().signal;
const roomy = 1024 * 1024;
const binary = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 0, 137, 80, 78, 71]);

/** Every file of a checkout but the adapter's own records, as base64, so binaries compare too. */
async function treeOf(dir: string, bookkeeping: string): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  for (const entry of (await readdir(dir, { recursive: true })).sort()) {
    if (entry.split('/')[0] === bookkeeping || !(await lstat(join(dir, entry))).isFile()) continue;
    tree[entry] = (await readFile(join(dir, entry))).toString('base64');
  }
  return tree;
}

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

    describe('work in progress', () => {
      let repoSpec: RepoSpec;
      let checkout: RepoCheckout;
      const write = async (path: string, content: string | Buffer) => {
        await mkdir(join(checkout.directory, path, '..'), { recursive: true });
        await writeFile(join(checkout.directory, path), content);
      };
      const tree = (dir: string) => treeOf(dir, fx.bookkeeping);
      const freshCheckout = async () => fx.repo.prepare(repoSpec, await fx.workspace(), noProgress, never);
      /** Saves the work, restores it into a fresh checkout of the same commit, and gives both trees. */
      const carried = async (): Promise<{ work: WorkInProgress; left: Record<string, string>; restored: Record<string, string> }> => {
        const work = await fx.repo.saveWork(checkout, roomy, never);
        expect(work).toBeDefined();
        const fresh = await freshCheckout();
        await fx.repo.restoreWork(fresh, work!, never);
        return { work: work!, left: await tree(checkout.directory), restored: await tree(fresh.directory) };
      };

      beforeEach(async () => {
        repoSpec = {
          repoUrl: await fx.upstream.createRepo('wip', {
            'README.md': '# api\n',
            'src/app.ts': 'export {};\n',
            'docs/old.md': 'old\n',
            '.gitignore': '*.log\nbuild/\n',
          }),
          accessToken: new Secret(fx.upstream.token),
        };
        checkout = await fx.repo.prepare(repoSpec, await fx.workspace(), noProgress, never);
      });

      it('saves nothing when the tree is as the checkout left it', async () => {
        expect(await fx.repo.saveWork(checkout, roomy, never)).toBeUndefined();
      });

      it('saves nothing when only ignored files were written', async () => {
        await write('debug.log', 'noise\n');
        await write('build/out.js', 'compiled\n');
        expect(await fx.repo.saveWork(checkout, roomy, never)).toBeUndefined();
      });

      it.each([
        ['a modified file', () => write('README.md', '# api\nmore\n')],
        ['a deleted file', () => rm(join(checkout.directory, 'docs/old.md'))],
        ['a new file in a new directory', () => write('lib/deep/hello.ts', 'export const hello = 1;\n')],
        ['a new binary file', () => write('assets/logo.png', binary)],
        ['a renamed file', async () => {
          await rm(join(checkout.directory, 'src/app.ts'));
          await write('src/main.ts', 'export {};\n');
        }],
      ])('carries %s into a fresh checkout of the same commit', async (_name, change) => {
        await change();
        const { work, left, restored } = await carried();
        expect(work.baseCommit).toBe(checkout.baseCommit);
        expect(Buffer.from(work.patch, 'base64')).toHaveLength(work.bytes);
        expect(restored).toEqual(left);
      });

      it('carries every kind of change at once, leaves the saved tree as it was, and leaves ignored files behind', async () => {
        await write('README.md', '# api\nmore\n');
        await rm(join(checkout.directory, 'docs/old.md'));
        await write('lib/deep/hello.ts', 'export const hello = 1;\n');
        await write('assets/logo.png', binary);
        await write('debug.log', 'noise\n');
        await write('build/out.js', 'compiled\n');
        const before = await tree(checkout.directory);
        const { left, restored } = await carried();
        expect(left).toEqual(before);
        const { 'debug.log': _log, 'build/out.js': _build, ...unignored } = left;
        expect(restored).toEqual(unignored);
        expect(restored['assets/logo.png']).toBe(binary.toString('base64'));
      });

      it('shows restored work as the job\'s changes, as if made in this checkout', async () => {
        await write('README.md', '# api\nmore\n');
        await write('lib/hello.ts', 'a\nb\n');
        const work = await fx.repo.saveWork(checkout, roomy, never);
        const fresh = await freshCheckout();
        await fx.repo.restoreWork(fresh, work!, never);
        const changes = await fx.repo.publish(repoSpec, fresh, never);
        expect(changes.filesChanged).toEqual(
          expect.arrayContaining([
            { path: 'lib/hello.ts', status: 'added', additions: 2, deletions: 0 },
            { path: 'README.md', status: 'modified', additions: 1, deletions: 0 },
          ]),
        );
        expect(changes.filesChanged).toHaveLength(2);
      });

      it('refuses work larger than the limit with WORKSPACE_TOO_LARGE, naming the limit', async () => {
        await write('assets/noise.bin', randomBytes(20_000));
        const error = await failure(fx.repo.saveWork(checkout, 4096, never));
        expect(error.code).toBe('WORKSPACE_TOO_LARGE');
        expect(error.message).toMatch(/4096/);
      });

      it('saves only what the pushed commit does not hold, against that commit', async () => {
        const pushing = { ...repoSpec, push: { branch: 'agent/wip' } };
        await write('lib/hello.ts', 'export const hello = 1;\n');
        const changes = await fx.repo.publish(pushing, checkout, never);
        expect(changes.pushed).toBe(true);
        expect(await fx.repo.saveWork(checkout, roomy, never)).toBeUndefined();
        await write('lib/later.ts', 'after the push\n');
        const work = await fx.repo.saveWork(checkout, roomy, never);
        expect(work?.baseCommit).toBe(changes.headCommit);
        const fresh = await fx.repo.prepare({ ...repoSpec, branch: 'agent/wip' }, await fx.workspace(), noProgress, never);
        await fx.repo.restoreWork(fresh, work!, never);
        expect(await tree(fresh.directory)).toEqual(await tree(checkout.directory));
      });

      it('restores onto a branch that has since moved elsewhere', async () => {
        await write('README.md', '# api\nmore\n');
        const work = await fx.repo.saveWork(checkout, roomy, never);
        await fx.upstream.commit('wip', 'main', { 'src/app.ts': 'export const v = 2;\n' });
        const fresh = await freshCheckout();
        expect(fresh.baseCommit).not.toBe(work!.baseCommit);
        await fx.repo.restoreWork(fresh, work!, never);
        expect(await readFile(join(fresh.directory, 'README.md'), 'utf8')).toBe('# api\nmore\n');
        expect(await readFile(join(fresh.directory, 'src/app.ts'), 'utf8')).toBe('export const v = 2;\n');
      });

      it('refuses work that conflicts with the checkout with REPO_FAILED and leaves its tree unchanged', async () => {
        await write('README.md', '# api\nmine\n');
        await write('lib/hello.ts', 'export const hello = 1;\n');
        const work = await fx.repo.saveWork(checkout, roomy, never);
        await fx.upstream.commit('wip', 'main', { 'README.md': '# api\ntheirs\n' });
        const fresh = await freshCheckout();
        const before = await tree(fresh.directory);
        const error = await failure(fx.repo.restoreWork(fresh, work!, never));
        expect(error.code).toBe('REPO_FAILED');
        expect(error.message).toMatch(/do not apply/);
        expect(await tree(fresh.directory)).toEqual(before);
      });
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
