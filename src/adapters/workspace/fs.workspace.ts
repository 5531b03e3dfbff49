import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, realpath, rm, rmdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join, relative, resolve, sep } from 'node:path';
import type { WorkspacePort } from '../../application/ports/workspace.port.js';
import { DomainError, type ValidationIssue } from '../../domain/errors.js';
import { isWorkspacePath, workspaceSegment } from '../../domain/workspace-name.js';

/**
 * Workspaces below one root directory. A name is a path relative to the root, or an absolute
 * one inside it (given as configured or as the root's real path). The request schema refuses
 * `..`; what it cannot see are symlinks a previous job planted, so every existing component is
 * resolved and must stay inside the root.
 */
export class FsWorkspace implements WorkspacePort {
  private readonly root: string;

  constructor(
    root: string,
    /** Directory names under the root that belong to the worker (its state), never a workspace. */
    private readonly reserved: readonly string[] = [],
  ) {
    this.root = resolve(root);
  }

  validate(name: string): ValidationIssue[] {
    const path = this.#relative(name);
    if (path === undefined) {
      return [{ path: 'workspace', message: `must be a directory inside WORKSPACE_DIR (${this.root}), or a path relative to it` }];
    }
    if (!isWorkspacePath(path)) {
      return [{ path: 'workspace', message: `inside WORKSPACE_DIR, must be [A-Za-z0-9._-] segments, none starting with a dot (got ${path})` }];
    }
    return [];
  }

  async prepare(name: string | undefined, jobId: string): Promise<string> {
    await mkdir(this.root, { recursive: true });
    const root = await realpath(this.root);
    const path = name === undefined ? join('jobs', jobId) : this.#relative(name);
    if (path === undefined || !isWorkspacePath(path)) throw escaped(name);
    if (this.reserved.includes(path.split('/')[0] ?? '')) {
      throw new DomainError('WORKSPACE_INVALID', `workspace ${name} is reserved`);
    }
    await this.#refuseEscapes(root, path);
    const dir = join(root, path);
    await mkdir(dir, { recursive: true });
    const resolved = await realpath(dir);
    if (!isInside(root, resolved)) throw escaped(name);
    return resolved;
  }

  /** `name` relative to the root; undefined for an absolute path that is not below it. */
  #relative(name: string): string | undefined {
    if (!name.startsWith('/')) return name;
    for (const root of new Set([this.root, realRoot(this.root)])) {
      const path = relative(root, name);
      if (path !== '' && isInside(root, name)) return path;
    }
    return undefined;
  }

  /**
   * What `du -s -B1` says `dir` takes on disk. A small tree (a fresh job's workspace) is counted
   * here: starting du forks the whole worker, whose heap then turns copy-on-write, and that costs
   * the worker more CPU than the rest of a short job. du counts a big one, in C, far faster than
   * a walk in JS over a big repository.
   */
  async usage(dir: string): Promise<number> {
    const small = await smallTreeUsage(dir, smallTreeEntries).catch(() => undefined);
    if (small !== undefined) return small;
    const { stdout } = await run('du', ['-s', '-B1', '--', dir], { env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' }, maxBuffer: 1024 * 1024 });
    return Number.parseInt(stdout, 10) || 0;
  }

  /**
   * fs.rm unlinks each symlink it meets, never entering it, so whatever the agent planted stays
   * inside; only jobs/ itself, on the way there, must be a real directory.
   */
  async release(jobId: string): Promise<void> {
    if (!workspaceSegment.test(jobId)) throw new DomainError('WORKSPACE_INVALID', `no job directory for ${jobId}`);
    const root = await realpath(this.root).catch(() => undefined);
    const jobs = root && (await lstat(join(root, 'jobs')).catch(() => undefined));
    if (!root || !jobs) return;
    if (!jobs.isDirectory()) throw new DomainError('WORKSPACE_INVALID', `${join(root, 'jobs')} is not a directory`);
    const dir = join(root, 'jobs', jobId);
    try {
      await rm(dir, removal);
    } catch (error) {
      // What the agent made read-only (Go's module cache is) stops a worker that is not root.
      if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
      await unlock(dir);
      await rm(dir, removal);
    }
    // The last job's directory gone, the workspace is left as the worker found it.
    await rmdir(join(root, 'jobs')).catch(() => undefined);
  }

  async #refuseEscapes(root: string, path: string): Promise<void> {
    let current = root;
    for (const part of path.split('/')) {
      current = join(current, part);
      const stat = await lstat(current).catch(() => undefined);
      if (!stat) return;
      if (stat.isSymbolicLink() && !isInside(root, await realpath(current).catch(() => '/'))) throw escaped(path);
      if (!stat.isSymbolicLink() && !stat.isDirectory()) {
        throw new DomainError('WORKSPACE_INVALID', `workspace ${path} is not a directory`);
      }
    }
  }
}

const run = promisify(execFile);

const removal = { recursive: true, force: true, maxRetries: 3 } as const;

/** Lets the owner into `dir` and every directory below it again; chmod would follow a symlink, so none is touched. */
async function unlock(dir: string): Promise<void> {
  if (!(await lstat(dir)).isDirectory()) return;
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await unlock(join(dir, entry.name));
  }
}

// Up to this many entries a tree is counted in the worker (two syscalls an entry); past it, du.
const smallTreeEntries = 512;

/**
 * `du -s -B1` in the worker for a tree of at most `limit` entries: every file, directory and
 * symlink (not followed) counted by its allocated blocks, a file with several links once; undefined
 * past the limit. Throws when a part cannot be read (du would say so too).
 */
async function smallTreeUsage(root: string, limit: number): Promise<number | undefined> {
  const top = await lstat(root);
  let bytes = top.blocks * 512;
  if (!top.isDirectory()) return bytes;
  const linked = new Set<string>();
  let entries = 0;
  for (const dirs = [root]; dirs.length > 0; ) {
    const dir = dirs.pop()!;
    const names = await readdir(dir);
    entries += names.length;
    if (entries > limit) return undefined;
    for (const name of names) {
      const path = join(dir, name);
      const stat = await lstat(path);
      if (stat.nlink > 1 && !stat.isDirectory()) {
        const inode = `${stat.dev}:${stat.ino}`;
        if (linked.has(inode)) continue;
        linked.add(inode);
      }
      bytes += stat.blocks * 512;
      if (stat.isDirectory()) dirs.push(path);
    }
  }
  return bytes;
}

const realRoot = (root: string): string => {
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
};

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}

const escaped = (name: string | undefined): DomainError =>
  new DomainError('WORKSPACE_INVALID', `workspace ${name ?? ''} leads outside the workspace directory`);
