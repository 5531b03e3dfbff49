import type { ValidationIssue } from '../../domain/errors.js';
import type { RepoChanges } from '../../domain/repo-changes.js';
import type { RepoProgress } from '../../domain/repo-progress.js';
import type { Secret } from '../../domain/secret.js';
import type { WorkInProgress } from '../../domain/session.js';

export type { RepoProgress };

export interface RepoSpec {
  repoUrl: string;
  branch?: string;
  accessToken?: Secret;
  push?: { branch: string; commitMessage?: string };
}

export interface RepoCheckout {
  /** Where the assistant works: the repository's top directory. */
  directory: string;
  branch: string;
  baseCommit: string;
}

/** Brings the job's repository into the workspace before the assistant, and publishes its work after. */
export interface RepoPort {
  /** What the worker's policy refuses in a spec (schemes, hosts), before any git process runs. */
  validate(spec: RepoSpec): ValidationIssue[];
  /** Clones, or fetches and fast-forwards the workspace's clone; throws REPO_FAILED with a reason. */
  prepare(
    spec: RepoSpec,
    workspace: string,
    onProgress: (progress: RepoProgress) => void,
    signal: AbortSignal,
  ): Promise<RepoCheckout>;
  /** Reports the changes since the checkout; with spec.push, commits them all and pushes that branch. */
  publish(spec: RepoSpec, checkout: RepoCheckout, signal: AbortSignal): Promise<RepoChanges>;
  /** Uncommitted work (edits, deletions, renames, unignored new and binary files) against HEAD, which a push may have moved past checkout.baseCommit; index and tree untouched; undefined if none; WORKSPACE_TOO_LARGE past limitBytes. */
  saveWork(checkout: RepoCheckout, limitBytes: number, signal: AbortSignal): Promise<WorkInProgress | undefined>;
  /** Writes saved work into the checkout's tree before the assistant starts, new files untracked, index as it was; REPO_FAILED, tree unchanged, on a conflict. */
  restoreWork(checkout: RepoCheckout, work: WorkInProgress, signal: AbortSignal): Promise<void>;
}
