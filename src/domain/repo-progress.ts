/**
 * git's phases as git titles its progress meters (lowercased), those a clone, fetch or checkout
 * prints: the remote counts and compresses, the worker receives (or, for a few objects,
 * unpacks), resolves deltas, checks objects, then updates the files of the checkout.
 */
export const repoPhases = [
  'counting objects',
  'compressing objects',
  'receiving objects',
  'unpacking objects',
  'resolving deltas',
  'checking objects',
  'updating files',
] as const;

export type RepoPhase = (typeof repoPhases)[number];

/** How far the repository's preparation is, as the github_pull_progress event reports it. */
export interface RepoProgress {
  stage: 'clone' | 'fetch' | 'checkout';
  /**
   * git's phase within the stage: each one's percent starts at 0, never falls, and ends at 100.
   * The git adapter names one in every report; added after the first release, so optional.
   */
  phase?: RepoPhase;
  percent: number;
  processed: number;
  total: number;
}
