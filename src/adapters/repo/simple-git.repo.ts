import { createHash } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RepoCheckout, RepoPort, RepoProgress, RepoSpec } from '../../application/ports/repo.port.js';
import { DomainError, type ValidationIssue } from '../../domain/errors.js';
import type { RepoChanges } from '../../domain/repo-changes.js';
import type { WorkInProgress } from '../../domain/session.js';
import { descendantsWorkingIn, signal as killProcess } from '../shared/process-tree.js';
import { fileChanges } from './change-stats.js';
import { gitClient, type GitEnvironment } from './git-client.js';
import { gitFailure, pushFailureReason } from './git-failure.js';
import type { GitProgressLine } from './git-progress.js';
import { ProgressReporter } from './progress-reporter.js';
import { checkRepoSpec, type RepoPolicy } from './repo-policy.js';
import { restoreWork, saveWork } from './work-in-progress.js';

export interface SimpleGitRepoSettings extends RepoPolicy, Omit<GitEnvironment, 'home' | 'emptyHooksDir'> {
  /** The worker's own directory for git's empty HOME and hooks directory. */
  stateDir: string;
  /** Progress events at most this often within a phase (git redraws far more often). */
  progressIntervalMs: number;
  /** A directory of bare mirrors, one per repository, that clones borrow objects from. */
  cacheDir?: string;
}

const defaultCommitMessage = 'Changes made by the coding assistant';

/** GitHub (or any https git host) through simple-git: partial clones, fast-forward pulls, push. */
export class SimpleGitRepo implements RepoPort {
  constructor(private readonly settings: SimpleGitRepoSettings) {}

  validate(spec: RepoSpec): ValidationIssue[] {
    return checkRepoSpec(spec, this.settings);
  }

  async prepare(spec: RepoSpec, workspace: string, onProgress: (p: RepoProgress) => void, signal: AbortSignal): Promise<RepoCheckout> {
    const invalid = this.validate(spec);
    if (invalid.length > 0) throw new DomainError('VALIDATION_FAILED', `github.${invalid[0]!.path} ${invalid[0]!.message}`);
    const env = await this.#environment();
    const progress = new ProgressReporter(onProgress, this.settings.progressIntervalMs);
    const git = gitClient(workspace, env, { repoUrl: spec.repoUrl, token: spec.accessToken, signal, onProgress: (line) => progress.line(line) });
    const cloned = await isRepository(workspace);
    const release = sweepOnAbort(signal, workspace);
    try {
      if (!cloned) await this.#clone(spec, workspace, git, await this.#mirror(spec, env, progress, signal), progress);
      else await this.#pull(spec, git, progress);
      const [branch, baseCommit] = await Promise.all([
        git.revparse(['--abbrev-ref', 'HEAD']),
        git.revparse(['HEAD']),
      ]);
      return { directory: workspace, branch, baseCommit };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw gitFailure(error, cloned ? 'fetch' : 'clone');
    } finally {
      release();
    }
  }

  async publish(spec: RepoSpec, checkout: RepoCheckout, signal: AbortSignal): Promise<RepoChanges> {
    const invalid = this.validate(spec);
    if (invalid.length > 0) throw new DomainError('VALIDATION_FAILED', `github.${invalid[0]!.path} ${invalid[0]!.message}`);
    const env = await this.#environment();
    // The token is needed even to diff: a partial clone fetches old file contents on demand.
    const git = gitClient(checkout.directory, env, { repoUrl: spec.repoUrl, token: spec.accessToken, signal });
    const release = sweepOnAbort(signal, checkout.directory);
    try {
      await git.raw(['add', '-A']);
      if (spec.push) {
        const staged = await git.raw(['diff', '--cached', '--name-only']);
        if (staged.trim()) await git.raw(['commit', '--no-verify', '-q', '-m', spec.push.commitMessage ?? defaultCommitMessage]);
      }
      const headCommit = (await git.revparse(['HEAD'])).trim();
      // Without a push nothing is committed: the index holds the changes.
      const range = spec.push ? [checkout.baseCommit, headCommit] : ['--cached', checkout.baseCommit];
      const [names, counts] = await Promise.all([
        git.raw(['diff', '-z', '-M', '--name-status', ...range, '--']),
        git.raw(['diff', '-z', '-M', '--numstat', ...range, '--']),
      ]);
      const changes = { branch: spec.push?.branch ?? checkout.branch, baseCommit: checkout.baseCommit, headCommit, filesChanged: fileChanges(names, counts) };
      if (!spec.push) return { ...changes, pushed: false };
      try {
        await git.raw(['push', '--porcelain', spec.repoUrl, `HEAD:refs/heads/${spec.push.branch}`]);
        return { ...changes, pushed: true };
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        return { ...changes, pushed: false, pushError: pushFailureReason(error) };
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw gitFailure(error, 'commit');
    } finally {
      release();
    }
  }

  async saveWork(checkout: RepoCheckout, limitBytes: number, signal: AbortSignal): Promise<WorkInProgress | undefined> {
    return saveWork({ env: await this.#environment(), scratchRoot: this.settings.stateDir }, checkout, limitBytes, signal);
  }

  async restoreWork(checkout: RepoCheckout, work: WorkInProgress, signal: AbortSignal): Promise<void> {
    return restoreWork({ env: await this.#environment(), scratchRoot: this.settings.stateDir }, checkout, work, signal);
  }

  async #clone(spec: RepoSpec, workspace: string, git: ReturnType<typeof gitClient>, mirror: string | undefined, progress: ProgressReporter): Promise<void> {
    if ((await readdir(workspace)).length > 0) {
      throw new DomainError('REPO_FAILED', 'git clone failed: the workspace holds files but no repository', { retryable: false });
    }
    const branch = spec.branch ? [`--branch=${spec.branch}`] : [];
    // With a warm mirror every object is local; without one, blobs come only as checked out.
    const source = mirror ? [`--reference-if-able=${mirror}`, '--dissociate'] : ['--filter=blob:none'];
    // git clone checks the branch out itself: the step reports both stages.
    await progress.step('clone', () => git.clone(spec.repoUrl, workspace, ['--progress', ...source, '--single-branch', '--no-tags', ...branch]), ['clone', 'checkout']);
  }

  /**
   * The repository's mirror in the cache, brought up to date; undefined without a cache or
   * when the mirror cannot be updated (then the clone goes to the remote alone). A cold
   * mirror is where a cached clone's objects arrive: its meters are the clone's.
   */
  async #mirror(spec: RepoSpec, env: GitEnvironment, progress: ProgressReporter, signal: AbortSignal): Promise<string | undefined> {
    if (!this.settings.cacheDir) return undefined;
    const mirror = join(this.settings.cacheDir, `${createHash('sha256').update(spec.repoUrl).digest('hex').slice(0, 24)}.git`);
    const options = { repoUrl: spec.repoUrl, token: spec.accessToken, signal, onProgress: (line: GitProgressLine) => progress.line(line) };
    try {
      if (await isDirectory(mirror)) {
        const git = gitClient(mirror, env, options);
        await progress.step('fetch', () => git.fetch(['--progress', '--prune', '--no-tags', spec.repoUrl, '+refs/heads/*:refs/heads/*']));
      } else {
        await mkdir(this.settings.cacheDir, { recursive: true });
        const git = gitClient(this.settings.cacheDir, env, options);
        await progress.step('clone', () => git.clone(spec.repoUrl, mirror, ['--progress', '--mirror', '--no-tags']));
      }
      return mirror;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const failure = gitFailure(error, 'mirror');
      // A token the remote refuses fails the clone the same way; nothing to gain from trying.
      if (failure.message.includes('authentication failed')) throw failure;
      return undefined;
    }
  }

  async #pull(spec: RepoSpec, git: ReturnType<typeof gitClient>, progress: ProgressReporter): Promise<void> {
    await git.raw(['remote', 'set-url', 'origin', spec.repoUrl]);
    const branch = spec.branch ?? (await git.revparse(['--abbrev-ref', 'HEAD'])).trim();
    const remoteRef = `refs/remotes/origin/${branch}`;
    await progress.step('fetch', () => git.fetch(spec.repoUrl, `+refs/heads/${branch}:${remoteRef}`, ['--progress', '--filter=blob:none', '--no-tags']));
    const local = await git.raw(['branch', '--list', branch]);
    // switch, unlike checkout, never reads its argument as a path; --progress shows the meters despite -q.
    await progress.step('checkout', async () => {
      if (local.trim()) {
        await git.raw(['switch', '-q', '--progress', branch]);
        await git.raw(['merge', '--ff-only', '-q', '--progress', remoteRef]);
      } else {
        await git.raw(['switch', '-q', '--progress', '-c', branch, remoteRef]);
      }
    });
  }

  async #environment(): Promise<GitEnvironment> {
    const home = join(this.settings.stateDir, 'git-home');
    const emptyHooksDir = join(this.settings.stateDir, 'git-empty-hooks');
    await Promise.all([mkdir(home, { recursive: true }), mkdir(emptyHooksDir, { recursive: true })]);
    return { ...this.settings, home, emptyHooksDir };
  }
}

/**
 * On abort, simple-git stops only the git it started; the helpers git starts in turn
 * (git-remote-http) keep its pipes open, so neither they nor the promise would end. Everything
 * of ours still working in the directory is killed.
 */
function sweepOnAbort(signal: AbortSignal, dir: string): () => void {
  const sweep = (): void => {
    for (const pid of descendantsWorkingIn(dir)) killProcess(pid, 'SIGKILL');
  };
  signal.addEventListener('abort', sweep, { once: true });
  return () => signal.removeEventListener('abort', sweep);
}

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then((s) => s.isDirectory(), () => false);
}

async function isRepository(dir: string): Promise<boolean> {
  return stat(join(dir, '.git')).then(() => true, () => false);
}
