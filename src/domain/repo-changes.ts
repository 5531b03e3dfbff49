/** What the assistant changed in a repository, as the completed event reports it. */
export interface RepoChanges {
  branch: string;
  baseCommit: string;
  headCommit: string;
  filesChanged: FileChange[];
  pushed: boolean;
  /** Why the push did not happen (rejected, protected branch ...); the commit stays in the workspace. */
  pushError?: string;
}

export interface FileChange {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type_changed';
  additions: number;
  deletions: number;
}
