import type { FileChange } from '../../domain/repo-changes.js';

const statuses: Record<string, FileChange['status']> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  T: 'type_changed',
};

/**
 * Files changed, from `git diff -z --name-status` and `git diff -z --numstat` of the same
 * range. NUL-separated output keeps paths with spaces or newlines intact.
 */
export function fileChanges(nameStatus: string, numstat: string): FileChange[] {
  const counts = new Map<string, { additions: number; deletions: number }>();
  const stat = numstat.split('\0');
  for (let i = 0; i < stat.length; i++) {
    const entry = stat[i];
    if (!entry) continue;
    const [added, deleted, path] = entry.split('\t');
    // A rename prints an empty path, then the old and the new path as separate fields.
    const file = path === '' ? stat[(i += 2)] : path;
    // Binary files count '-' lines.
    if (file) counts.set(file, { additions: Number(added) || 0, deletions: Number(deleted) || 0 });
  }
  const changes: FileChange[] = [];
  const fields = nameStatus.split('\0');
  for (let i = 0; i < fields.length - 1; ) {
    const code = fields[i++]!;
    const status = statuses[code[0] ?? ''] ?? 'modified';
    if (code.startsWith('R') || code.startsWith('C')) i++;
    const path = fields[i++]!;
    changes.push({ path, status, ...(counts.get(path) ?? { additions: 0, deletions: 0 }) });
  }
  return changes;
}
