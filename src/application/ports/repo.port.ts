import type { ValidationIssue } from '../../domain/errors.js';
import type { RepoChanges } from '../../domain/repo-changes.js';
import type { Secret } from '../../domain/secret.js';

export interface RepoSpec {
  repoUrl: string;
  branch?: string;
  accessToken?: Secret;
  push?: { branch: string; commitMessage?: string };
}

export interface RepoProgress {
  stage: 'clone' | 'fetch' | 'checkout';
  percent: number;
  processed: number;
  total: number;
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
}
