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
  branch?: string;
}

/** Brings the job's repository into the workspace before the assistant starts. */
export interface RepoPort {
  prepare(
    spec: RepoSpec,
    workspace: string,
    onProgress: (progress: RepoProgress) => void,
    signal: AbortSignal,
  ): Promise<RepoCheckout>;
}
