import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join, relative, resolve, sep } from 'node:path';
import type { WorkspacePort } from '../../application/ports/workspace.port.js';
import { DomainError, type ValidationIssue } from '../../domain/errors.js';
import { isWorkspacePath } from '../../domain/workspace-name.js';

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

  /** du counts what the files take on disk, in C, far faster than a walk in JS over a big repository. */
  async usage(dir: string): Promise<number> {
    const { stdout } = await run('du', ['-s', '-B1', '--', dir], { env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' }, maxBuffer: 1024 * 1024 });
    return Number.parseInt(stdout, 10) || 0;
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
