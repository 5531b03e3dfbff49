import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeHome, projectKey } from '../../src/adapters/providers/claude-code/claude-code.home.js';
import { FileSessionStore } from '../../src/adapters/sessions/index.js';
import { FsWorkspace } from '../../src/adapters/workspace/index.js';
import { Secret } from '../../src/domain/secret.js';

let dir: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'uw-fs-')));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('FsWorkspace', () => {
  it('gives a fresh directory per job and a named one on request, inside the root', async () => {
    const workspace = new FsWorkspace(join(dir, 'root'));
    expect(await workspace.prepare(undefined, 'job-1')).toBe(join(dir, 'root/jobs/job-1'));
    expect(await workspace.prepare('acme/api', 'job-2')).toBe(join(dir, 'root/acme/api'));
  });

  it('refuses a symlink planted by a previous job that points outside the root', async () => {
    await mkdir(join(dir, 'root'), { recursive: true });
    await symlink('/etc', join(dir, 'root', 'escape'));
    const workspace = new FsWorkspace(join(dir, 'root'));
    await expect(workspace.prepare('escape', 'job')).rejects.toMatchObject({ code: 'WORKSPACE_INVALID' });
    await expect(workspace.prepare('escape/deeper', 'job')).rejects.toMatchObject({ code: 'WORKSPACE_INVALID' });
  });

  it('accepts a symlink that stays inside the root, and refuses a file', async () => {
    await mkdir(join(dir, 'root', 'real'), { recursive: true });
    await symlink(join(dir, 'root', 'real'), join(dir, 'root', 'alias'));
    await writeFile(join(dir, 'root', 'file'), 'x');
    const workspace = new FsWorkspace(join(dir, 'root'));
    expect(await workspace.prepare('alias', 'job')).toBe(join(dir, 'root', 'real'));
    await expect(workspace.prepare('file', 'job')).rejects.toMatchObject({ code: 'WORKSPACE_INVALID' });
  });
  it('takes an absolute path inside the root, as configured or as its real path, and refuses one outside', async () => {
    await mkdir(join(dir, 'real-root'), { recursive: true });
    await symlink(join(dir, 'real-root'), join(dir, 'root'));
    const workspace = new FsWorkspace(join(dir, 'root'));
    expect(workspace.validate(join(dir, 'root', 'acme/api'))).toEqual([]);
    expect(workspace.validate(join(dir, 'real-root', 'acme/api'))).toEqual([]);
    expect(await workspace.prepare(join(dir, 'root', 'acme/api'), 'job')).toBe(join(dir, 'real-root/acme/api'));
    for (const outside of ['/etc', join(dir, 'root'), join(dir, 'rooted/x')]) {
      expect(workspace.validate(outside)).toEqual([{ path: 'workspace', message: expect.stringContaining('inside WORKSPACE_DIR') }]);
      await expect(workspace.prepare(outside, 'job')).rejects.toMatchObject({ code: 'WORKSPACE_INVALID' });
    }
    expect(workspace.validate(join(dir, 'root', '.git/x'))[0]?.message).toContain('none starting with a dot');
  });

  it('measures a workspace as `du -s -B1` does, a small one and one past the entries it counts itself', async () => {
    const workspace = new FsWorkspace(join(dir, 'root'));
    const small = await workspace.prepare('small', 'job');
    await mkdir(join(small, 'src/deep'), { recursive: true });
    await writeFile(join(small, 'src/deep/a.txt'), 'a'.repeat(10_000));
    await writeFile(join(small, 'empty'), '');
    await link(join(small, 'src/deep/a.txt'), join(small, 'hard-link'));
    await symlink('/etc', join(small, 'outside'));
    const big = await workspace.prepare('big', 'job');
    for (let i = 0; i < 600; i++) await writeFile(join(big, `f${i}`), 'x'.repeat(i * 20));
    for (const tree of [small, big]) {
      const du = Number.parseInt(execFileSync('du', ['-s', '-B1', '--', tree], { encoding: 'utf8' }), 10);
      expect(await workspace.usage(tree)).toBe(du);
    }
  });
});

describe('FsWorkspace.release', () => {
  it("removes the job's fresh directory with everything in it, and nothing else", async () => {
    const workspace = new FsWorkspace(join(dir, 'root'));
    const job = await workspace.prepare(undefined, 'job-1');
    const other = await workspace.prepare(undefined, 'job-2');
    const named = await workspace.prepare('acme/api', 'job-1');
    await mkdir(join(job, 'src/deep'), { recursive: true });
    await writeFile(join(job, 'src/deep/a.txt'), 'a');
    await writeFile(join(named, 'kept.txt'), 'kept');
    await workspace.release('job-1');
    await expect(stat(job)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(other)).isDirectory()).toBe(true);
    expect(await readFile(join(named, 'kept.txt'), 'utf8')).toBe('kept');
    // jobs/ goes with the last fresh directory in it: a worker leaves the workspace as it found it.
    await workspace.release('job-2');
    expect((await readdir(join(dir, 'root'))).sort()).toEqual(['acme']);
  });

  it('does not follow a symlink the agent planted inside: its target outside the root survives', async () => {
    await mkdir(join(dir, 'outside/sub'), { recursive: true });
    await writeFile(join(dir, 'outside/sub/precious.txt'), 'precious');
    const workspace = new FsWorkspace(join(dir, 'root'));
    const job = await workspace.prepare(undefined, 'job-1');
    await mkdir(join(job, 'nested'));
    await symlink(join(dir, 'outside'), join(job, 'escape'));
    await symlink(join(dir, 'outside/sub'), join(job, 'nested/escape'));
    await symlink(join(dir, 'outside/sub/precious.txt'), join(job, 'nested/file'));
    await workspace.release('job-1');
    await expect(stat(job)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(join(dir, 'outside/sub/precious.txt'), 'utf8')).toBe('precious');
  });

  it('refuses to go through a jobs/ that is a symlink out of the root', async () => {
    await mkdir(join(dir, 'outside/job-1'), { recursive: true });
    await writeFile(join(dir, 'outside/job-1/precious.txt'), 'precious');
    await mkdir(join(dir, 'root'));
    await symlink(join(dir, 'outside'), join(dir, 'root/jobs'));
    await expect(new FsWorkspace(join(dir, 'root')).release('job-1')).rejects.toMatchObject({ code: 'WORKSPACE_INVALID' });
    expect(await readFile(join(dir, 'outside/job-1/precious.txt'), 'utf8')).toBe('precious');
  });

  it('removes directories the agent made read-only, and has nothing to do for a job that never got one', async () => {
    const workspace = new FsWorkspace(join(dir, 'root'));
    const job = await workspace.prepare(undefined, 'job-1');
    await mkdir(join(job, 'pkg/mod'), { recursive: true });
    await writeFile(join(job, 'pkg/mod/go.mod'), 'module x\n');
    await chmod(join(job, 'pkg/mod'), 0o500);
    await chmod(join(job, 'pkg'), 0o000);
    await workspace.release('job-1');
    await expect(stat(job)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(workspace.release('job-never-prepared')).resolves.toBeUndefined();
    await expect(new FsWorkspace(join(dir, 'no-root')).release('job-1')).resolves.toBeUndefined();
  });
});

describe('FileSessionStore retention', () => {
  const day = 24 * 3_600_000;
  const snapshotOf = (id: string) => ({ session: { provider: 'claude-code', providerSessionId: id }, artifacts: [], savedAt: 1 });
  const age = (file: string, ms: number) => utimes(file, new Date(Date.now() - ms), new Date(Date.now() - ms));

  it('deletes the sessions (and a crashed save\'s temp file) not saved for longer than the retention, nothing else', async () => {
    const sessions = join(dir, 'sessions');
    const store = new FileSessionStore(sessions, { retentionMs: 7 * day });
    for (const id of ['old', 'recent']) await store.save(snapshotOf(id));
    await writeFile(join(sessions, 'old.json.123.tmp'), '{');
    await writeFile(join(sessions, 'notes.txt'), 'not the store\'s');
    for (const name of ['old.json', 'old.json.123.tmp', 'notes.txt']) await age(join(sessions, name), 8 * day);
    await age(join(sessions, 'recent.json'), 6 * day);
    await store.sweep();
    expect((await readdir(sessions)).sort()).toEqual(['notes.txt', 'recent.json']);
    expect(await store.load('old')).toBeUndefined();
    expect(await store.load('recent')).toEqual(snapshotOf('recent'));
  });

  it('sweeps after a save; saving a session again (a resumed job) keeps it another retention', async () => {
    const sessions = join(dir, 'sessions');
    const store = new FileSessionStore(sessions, { retentionMs: day, sweepEveryMs: 0 });
    for (const id of ['expired', 'resumed']) await store.save(snapshotOf(id));
    for (const id of ['expired', 'resumed']) await age(join(sessions, `${id}.json`), 2 * day);
    await store.save(snapshotOf('resumed'));
    expect(await readdir(sessions)).toEqual(['resumed.json']);
  });

  it('sweeps after a save at most once in sweepEveryMs (by default an hour for a week\'s retention)', async () => {
    const sessions = join(dir, 'sessions');
    const store = new FileSessionStore(sessions, { retentionMs: 7 * day });
    await store.save(snapshotOf('expired'));
    await age(join(sessions, 'expired.json'), 8 * day);
    await store.save(snapshotOf('next'));
    expect((await readdir(sessions)).sort()).toEqual(['expired.json', 'next.json']);
    await store.sweep();
    expect(await readdir(sessions)).toEqual(['next.json']);
  });

  it('keeps every session with a retention of 0, and sweeps a missing directory quietly', async () => {
    const sessions = join(dir, 'sessions');
    const store = new FileSessionStore(sessions, { retentionMs: 0 });
    await store.save(snapshotOf('s-1'));
    await age(join(sessions, 's-1.json'), 400 * day);
    await store.sweep();
    expect(await readdir(sessions)).toEqual(['s-1.json']);
    const warnings: unknown[] = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (fields: object) => void warnings.push(fields) };
    await new FileSessionStore(join(dir, 'none'), { retentionMs: day, logger }).sweep();
    expect(warnings).toEqual([]);
  });
});

describe('FileSessionStore', () => {
  it('saves and loads a snapshot by provider session id', async () => {
    const store = new FileSessionStore(join(dir, 'sessions'));
    const snapshot = { session: { provider: 'claude-code', providerSessionId: 's-1' }, artifacts: [{ name: 't', content: 'x' }], savedAt: 1 };
    await store.save(snapshot);
    expect(await store.load('s-1')).toEqual(snapshot);
    expect(await store.load('s-2')).toBeUndefined();
    expect((await stat(join(dir, 'sessions', 's-1.json'))).mode & 0o777).toBe(0o600);
  });

  it('treats a corrupt file as no session', async () => {
    await mkdir(join(dir, 'sessions'));
    await writeFile(join(dir, 'sessions', 'bad.json'), '{not json');
    expect(await new FileSessionStore(join(dir, 'sessions')).load('bad')).toBeUndefined();
  });
});

describe('ClaudeHome', () => {
  it('keys transcripts the way the CLI does', () => {
    expect(projectKey('/scratch/ws.dot_under score')).toBe('-scratch-ws-dot-under-score');
  });

  it('writes the worker credentials with mode 0600 and removes everything at the end', async () => {
    const home = await ClaudeHome.create(dir, 'job', new Secret('{"claudeAiOauth":{}}'));
    const file = join(home.configDir, '.credentials.json');
    expect(await readFile(file, 'utf8')).toBe('{"claudeAiOauth":{}}');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(home.home)).mode & 0o777).toBe(0o700);
    await home.remove();
    await expect(stat(home.home)).rejects.toThrow();
  });

  it('restores a transcript under the key of the new working directory and exports it back', async () => {
    const home = await ClaudeHome.create(dir, 'job');
    await home.restore('/srv/other.ws', 'sid', [{ name: 'transcript.jsonl', content: '{"a":1}\n' }]);
    expect(await readFile(join(home.configDir, 'projects', '-srv-other-ws', 'sid.jsonl'), 'utf8')).toBe('{"a":1}\n');
    expect(await home.export('sid')).toEqual([{ name: 'transcript.jsonl', content: '{"a":1}\n' }]);
    expect(await home.export('none')).toEqual([]);
  });
});
