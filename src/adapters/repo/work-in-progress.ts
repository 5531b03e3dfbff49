import { lstat, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import type { RepoCheckout } from '../../application/ports/repo.port.js';
import { DomainError } from '../../domain/errors.js';
import type { WorkInProgress } from '../../domain/session.js';
import { walkAgentTree } from '../shared/agent-file.js';
import { localGitClient, type GitClientOptions, type GitEnvironment } from './git-client.js';
import { gitFailure } from './git-failure.js';

/**
 * The patch's format is fixed here, not left to the repository's configuration (diff.noprefix,
 * diff.external, textconv, color.diff), which the agent can write.
 */
const patchFormat = [
  '--binary',
  '--find-renames',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--no-relative',
  '--src-prefix=a/',
  '--dst-prefix=b/',
];
const applyOptions = ['--binary', '-p1', '--whitespace=nowarn'];
const commitId = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
// Files in .git that make git read another repository: its objects, or all of its refs too.
const redirects = new Set(['commondir', join('objects', 'info', 'alternates'), join('objects', 'info', 'http-alternates')]);

/** How git runs, and the worker's own directory for scratch indexes and patch files. */
export interface WorkGit {
  env: GitEnvironment;
  scratchRoot: string;
}

/**
 * Everything a commit would add to HEAD, as a binary patch against HEAD. The diff is taken
 * from a scratch index (HEAD's tree plus `git add -A`), so the checkout's index and tree stay
 * as the job left them; the patch goes to a scratch file and is read only within the limit.
 */
export async function saveWork(
  { env, scratchRoot }: WorkGit,
  checkout: RepoCheckout,
  limitBytes: number,
  signal: AbortSignal,
): Promise<WorkInProgress | undefined> {
  const repository = await pinnedRepository(checkout.directory);
  const scratch = await mkdtemp(join(scratchRoot, 'work-'));
  try {
    const git = await localGitClient(checkout.directory, env, signal, { ...repository, GIT_INDEX_FILE: join(scratch, 'index') });
    const head = await headCommit(git);
    const patchFile = join(scratch, 'work.patch');
    await git.raw(['read-tree', head]);
    await git.raw(['add', '-A']);
    await git.raw(['diff', '--cached', ...patchFormat, `--output=${patchFile}`, head, '--']);
    const { size } = await stat(patchFile);
    if (size === 0) return undefined;
    if (size > limitBytes) {
      const reason = `the uncommitted changes (a ${size}-byte patch) exceed the ${limitBytes}-byte limit for keeping them with the session`;
      throw new DomainError('WORKSPACE_TOO_LARGE', reason);
    }
    return { baseCommit: head, patch: (await readFile(patchFile)).toString('base64'), bytes: size };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw gitFailure(error, 'diff');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Applies saved work to the checkout's tree. `git apply` without --index writes the tree alone
 * and checks every hunk before it writes anything. When the patch no longer applies, a
 * three-way merge from its base is tried in a scratch index and tree, and its result is
 * applied the same all-or-nothing way.
 */
export async function restoreWork(
  { env, scratchRoot }: WorkGit,
  checkout: RepoCheckout,
  work: WorkInProgress,
  signal: AbortSignal,
): Promise<void> {
  const patch = decoded(work);
  if (patch.length === 0) return;
  const repository = await pinnedRepository(checkout.directory);
  const scratch = await mkdtemp(join(scratchRoot, 'work-'));
  try {
    const patchFile = join(scratch, 'work.patch');
    await writeFile(patchFile, patch, { mode: 0o600 });
    const git = await localGitClient(checkout.directory, env, signal, repository);
    if (await applied(git, patchFile, signal)) return;
    const merged = await mergedPatch(git, env, { scratch, patchFile, baseCommit: work.baseCommit }, signal);
    // An empty merge result: the branch already holds the work.
    if (merged && (await stat(merged)).size === 0) return;
    if (!merged || !(await applied(git, merged, signal))) {
      const at = `${checkout.branch} at ${checkout.baseCommit.slice(0, 12)}`;
      throw new DomainError('REPO_FAILED', `the saved uncommitted changes do not apply to ${at}: the branch has moved and conflicts with them`, {
        retryable: false,
      });
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw gitFailure(error, 'apply');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The checkout's repository and tree, named to git rather than found by it: git runs as the
 * worker, and .git is the agent's to write. `core.worktree` in .git/config would have git add
 * another directory's files to the patch (or apply the patch there), a `.git` file would point
 * it at another repository, and a symlink in .git, an alternates or a commondir file would have
 * it read another repository's refs and objects into the diff. Such a checkout's work is
 * neither kept nor restored.
 */
async function pinnedRepository(directory: string): Promise<NonNullable<GitClientOptions['locations']>> {
  const gitDir = join(directory, '.git');
  if (!(await lstat(gitDir).catch(() => undefined))?.isDirectory()) throw unsafeRepository('.git is not a directory');
  for await (const entry of walkAgentTree(gitDir)) {
    if (entry.kind === 'other') throw unsafeRepository(`.git/${entry.path} is a symbolic link or a special file`);
    if (redirects.has(entry.path)) throw unsafeRepository(`.git/${entry.path} points git at another repository`);
  }
  return { GIT_DIR: gitDir, GIT_WORK_TREE: directory };
}

function unsafeRepository(reason: string): DomainError {
  return new DomainError('REPO_FAILED', `git does not run on this checkout's uncommitted changes: ${reason}`, { retryable: false });
}

function decoded(work: WorkInProgress): Buffer {
  const patch = Buffer.from(work.patch, 'base64');
  if (patch.length !== work.bytes || patch.toString('base64') !== work.patch) {
    throw new DomainError('REPO_FAILED', 'the saved uncommitted changes are damaged: the patch does not match its size', { retryable: false });
  }
  return patch;
}

async function headCommit(git: SimpleGit): Promise<string> {
  return (await git.raw(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
}

async function applied(git: SimpleGit, patchFile: string, signal: AbortSignal): Promise<boolean> {
  try {
    await git.raw(['apply', ...applyOptions, patchFile]);
    return true;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    return false;
  }
}

/**
 * The patch merged onto HEAD from its base commit, as a patch against HEAD; undefined when the
 * base is not here or the merge conflicts. git 2.39's `apply --cached --3way` can write new
 * files into its working directory despite --cached, so it runs in a scratch directory that
 * stands in for the tree.
 */
async function mergedPatch(
  git: SimpleGit,
  env: GitEnvironment,
  { scratch, patchFile, baseCommit }: { scratch: string; patchFile: string; baseCommit: string },
  signal: AbortSignal,
): Promise<string | undefined> {
  if (!commitId.test(baseCommit)) return undefined;
  const present = await git.raw(['rev-parse', '--verify', '--quiet', `${baseCommit}^{commit}`]).catch(() => '');
  if (!present.trim()) return undefined;
  const [head, gitDir] = await Promise.all([headCommit(git), git.raw(['rev-parse', '--absolute-git-dir'])]);
  const tree = join(scratch, 'tree');
  await mkdir(tree);
  const locations = { GIT_DIR: gitDir.trim(), GIT_WORK_TREE: tree, GIT_INDEX_FILE: join(scratch, 'index') };
  const inScratch = await localGitClient(tree, env, signal, locations);
  await inScratch.raw(['read-tree', head]);
  try {
    await inScratch.raw(['apply', '--cached', '--3way', ...applyOptions, patchFile]);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    return undefined;
  }
  const merged = join(scratch, 'merged.patch');
  await inScratch.raw(['diff', '--cached', ...patchFormat, `--output=${merged}`, head, '--']);
  return merged;
}
