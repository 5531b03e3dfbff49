import { mkdir, mkdtemp, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
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
