import { describe, expect, it } from 'vitest';
import { fileChanges } from '../../src/adapters/repo/change-stats.js';
import { gitFailure } from '../../src/adapters/repo/git-failure.js';

describe('fileChanges', () => {
  it('joins name-status and numstat, including renames, binaries and odd paths', () => {
    const nameStatus = ['A', 'new file.ts', 'M', 'src/app.ts', 'D', 'old.ts', 'R100', 'a.ts', 'b.ts', 'M', 'logo.png', ''].join('\0');
    const numstat = ['3\t0\tnew file.ts', '2\t1\tsrc/app.ts', '0\t5\told.ts', '0\t0\t', 'a.ts', 'b.ts', '-\t-\tlogo.png', ''].join('\0');
    expect(fileChanges(nameStatus, numstat)).toEqual([
      { path: 'new file.ts', status: 'added', additions: 3, deletions: 0 },
      { path: 'src/app.ts', status: 'modified', additions: 2, deletions: 1 },
      { path: 'old.ts', status: 'deleted', additions: 0, deletions: 5 },
      { path: 'b.ts', status: 'renamed', additions: 0, deletions: 0 },
      { path: 'logo.png', status: 'modified', additions: 0, deletions: 0 },
    ]);
  });

  it('is empty for no changes', () => {
    expect(fileChanges('', '')).toEqual([]);
  });
});

describe('gitFailure', () => {
  it('reads HTTP statuses only where git states them, not in the URL', () => {
    const notFound = new Error("remote: Repository not found.\nfatal: repository 'http://127.0.0.1:40123/nope.git/' not found");
    expect(gitFailure(notFound, 'clone').message).toBe('git clone failed: repository not found');
    const denied = new Error("fatal: unable to access 'http://127.0.0.1:40404/api.git/': The requested URL returned error: 401");
    expect(gitFailure(denied, 'clone').message).toBe('git clone failed: authentication failed');
  });
});
