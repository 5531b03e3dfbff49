import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import type { RepoCheckout, RepoPort, RepoProgress, RepoSpec } from '../../src/application/ports/repo.port.js';
import { checkRepoUrl } from '../../src/adapters/repo/repo-policy.js';
import { DomainError, type ValidationIssue } from '../../src/domain/errors.js';
import type { FileChange, RepoChanges } from '../../src/domain/repo-changes.js';
import type { WorkInProgress } from '../../src/domain/session.js';
import type { Upstream } from '../contract/repo.contract.js';

type Files = Record<string, string>;
interface Commit {
  sha: string;
  files: Files;
}
/** The checkout's bookkeeping, as .git is git's: its branch and the commit it stands on. */
interface Head {
  branch: string;
  sha: string;
}
/** The in-memory "patch": each changed path's bytes before and after, base64, null for none. */
interface WorkPatch {
  changes: Array<{ path: string; before: string | null; after: string | null }>;
}

const host = 'memory.test';
const marker = '.memory-repo';
const sha = (files: Files, parent: string) => createHash('sha1').update(parent + JSON.stringify(files)).digest('hex');

/** A RepoPort whose remote lives in memory: the contract's reference for what any repository adapter does. */
export class MemoryRepo implements RepoPort, Upstream {
  readonly token = 'memory-token-0123456789';
  readonly #repos = new Map<string, Map<string, Commit>>();
  readonly #protected = new Set<string>();
  /** Every commit made, pushed or not, by sha: a clone keeps its own commits too. */
  readonly #commits = new Map<string, Files>();

  validate(spec: RepoSpec): ValidationIssue[] {
    return checkRepoUrl(spec.repoUrl, { allowedHosts: [host], insecureHosts: [] });
  }

  async createRepo(name: string, files: Files, options: { branches?: string[] } = {}): Promise<string> {
    const commit = { sha: sha(files, ''), files };
    this.#commits.set(commit.sha, files);
    this.#repos.set(name, new Map([['main', commit], ...(options.branches ?? []).map((b) => [b, commit] as const)]));
    return `https://${host}/${name}.git`;
  }

  async commit(name: string, branch: string, files: Files): Promise<void> {
    const branches = this.#repos.get(name)!;
    const tip = branches.get(branch)!;
    const next = { ...tip.files, ...files };
    const commit = { sha: sha(next, tip.sha), files: next };
    this.#commits.set(commit.sha, next);
    branches.set(branch, commit);
  }

  async protect(name: string, branch: string): Promise<void> {
    this.#protected.add(`${name}:${branch}`);
  }

  async fileOn(name: string, branch: string, path: string): Promise<string | undefined> {
    return this.#repos.get(name)?.get(branch)?.files[path];
  }

  async prepare(spec: RepoSpec, workspace: string, onProgress: (p: RepoProgress) => void): Promise<RepoCheckout> {
    const name = this.#name(spec);
    const existing = await readFile(join(workspace, marker), 'utf8').catch(() => undefined);
    if (!existing && (await readdir(workspace)).length > 0) throw failure('clone', 'the workspace holds files but no repository');
    const action = existing ? 'fetch' : 'clone';
    if (spec.accessToken?.reveal() !== this.token) throw failure(action, 'authentication failed');
    const branches = this.#repos.get(name);
    if (!branches) throw failure(action, 'repository not found');
    const branch = spec.branch ?? (existing ? (JSON.parse(existing) as { branch: string }).branch : 'main');
    const tip = branches.get(branch);
    if (!tip) throw failure(action, 'branch missing');
    for (const [path, content] of Object.entries(tip.files)) {
      await mkdir(dirname(join(workspace, path)), { recursive: true });
      await writeFile(join(workspace, path), content);
    }
    await writeHead(workspace, { branch, sha: tip.sha });
    onProgress({ stage: action, percent: 100, processed: 1, total: 1 });
    return { directory: workspace, branch, baseCommit: tip.sha };
  }

  async publish(spec: RepoSpec, checkout: RepoCheckout): Promise<RepoChanges> {
    const name = this.#name(spec);
    const base = { sha: checkout.baseCommit, files: this.#commit(checkout.baseCommit) };
    const now = text(await readTree(checkout.directory, base.files));
    const filesChanged = diff(base.files, now);
    const headCommit = spec.push && filesChanged.length > 0 ? sha(now, base.sha) : base.sha;
    if (headCommit !== base.sha) {
      this.#commits.set(headCommit, now);
      await writeHead(checkout.directory, { branch: checkout.branch, sha: headCommit });
    }
    const changes = { branch: spec.push?.branch ?? checkout.branch, baseCommit: base.sha, headCommit, filesChanged };
    if (!spec.push) return { ...changes, pushed: false };
    const branches = this.#repos.get(name)!;
    if (this.#protected.has(`${name}:${spec.push.branch}`)) return { ...changes, pushed: false, pushError: 'rejected by the remote: the branch is protected' };
    const remote = branches.get(spec.push.branch);
    if (remote && remote.sha !== base.sha && remote.sha !== headCommit) {
      return { ...changes, pushed: false, pushError: 'rejected: the remote branch has commits the push does not' };
    }
    branches.set(spec.push.branch, { sha: headCommit, files: now });
    return { ...changes, pushed: true };
  }

  async saveWork(checkout: RepoCheckout, limitBytes: number): Promise<WorkInProgress | undefined> {
    const head = await readHead(checkout.directory);
    const before = this.#commit(head.sha);
    const now = await readTree(checkout.directory, before);
    const changes: WorkPatch['changes'] = [];
    for (const path of [...new Set([...Object.keys(before), ...Object.keys(now)])].sort()) {
      const old = before[path] === undefined ? undefined : Buffer.from(before[path]);
      if (old && now[path]?.equals(old)) continue;
      changes.push({ path, before: old?.toString('base64') ?? null, after: now[path]?.toString('base64') ?? null });
    }
    if (changes.length === 0) return undefined;
    const patch = Buffer.from(JSON.stringify({ changes } satisfies WorkPatch));
    if (patch.length > limitBytes) {
      const reason = `the uncommitted changes (a ${patch.length}-byte patch) exceed the ${limitBytes}-byte limit for keeping them with the session`;
      throw new DomainError('WORKSPACE_TOO_LARGE', reason);
    }
    return { baseCommit: head.sha, patch: patch.toString('base64'), bytes: patch.length };
  }

  /** As `git apply`: every path must hold what the work started from, or nothing is written. */
  async restoreWork(checkout: RepoCheckout, work: WorkInProgress): Promise<void> {
    const patch = Buffer.from(work.patch, 'base64');
    if (patch.length !== work.bytes) throw new DomainError('REPO_FAILED', 'the saved uncommitted changes are damaged', { retryable: false });
    const { changes } = JSON.parse(patch.toString('utf8')) as WorkPatch;
    for (const change of changes) {
      const current = await readRegular(join(checkout.directory, change.path));
      if ((current?.toString('base64') ?? null) === change.before) continue;
      const at = `${checkout.branch} at ${checkout.baseCommit.slice(0, 12)}`;
      throw new DomainError('REPO_FAILED', `the saved uncommitted changes do not apply to ${at}: the branch has moved and conflicts with them`, {
        retryable: false,
      });
    }
    for (const { path, after } of changes) {
      const file = join(checkout.directory, path);
      if (after === null) {
        await rm(file);
        await pruneEmpty(checkout.directory, dirname(file));
      } else {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, Buffer.from(after, 'base64'));
      }
    }
  }

  #commit(wanted: string): Files {
    const files = this.#commits.get(wanted);
    if (!files) throw new DomainError('REPO_FAILED', 'git commit failed: unknown base');
    return files;
  }

  #name(spec: RepoSpec): string {
    return new URL(spec.repoUrl).pathname.slice(1).replace(/\.git$/, '');
  }
}

const failure = (action: string, reason: string): DomainError =>
  new DomainError('REPO_FAILED', `git ${action} failed: ${reason}`, { retryable: false });

async function readHead(dir: string): Promise<Head> {
  return JSON.parse(await readFile(join(dir, marker), 'utf8')) as Head;
}

async function writeHead(dir: string, head: Head): Promise<void> {
  await writeFile(join(dir, marker), JSON.stringify(head));
}

/** The checkout's regular files, as `git add -A` takes them: ignored ones only when tracked. */
async function readTree(dir: string, tracked: Files): Promise<Record<string, Buffer>> {
  const ignored = ignoreRules((await readRegular(join(dir, '.gitignore')))?.toString('utf8') ?? '');
  const files: Record<string, Buffer> = {};
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = relative(dir, join(dir, entry));
    if (path === marker || (ignored(path) && tracked[path] === undefined)) continue;
    const content = await readRegular(join(dir, path));
    if (content) files[path] = content;
  }
  return files;
}

const text = (tree: Record<string, Buffer>): Files => Object.fromEntries(Object.entries(tree).map(([path, content]) => [path, content.toString('utf8')]));

/** A file's bytes; undefined for anything else, a symlink included, which is never followed. */
async function readRegular(path: string): Promise<Buffer | undefined> {
  const info = await lstat(path).catch(() => undefined);
  return info?.isFile() ? readFile(path) : undefined;
}

async function pruneEmpty(top: string, dir: string): Promise<void> {
  for (let at = dir; at !== top && (await readdir(at)).length === 0; at = dirname(at)) await rmdir(at);
}

/**
 * The top .gitignore's patterns, enough for a reference model: `*` and `?` within a name, a
 * trailing `/` for directories only, a `/` elsewhere anchoring to the top; no `!` or `**`.
 */
function ignoreRules(gitignore: string): (path: string) => boolean {
  const rules = gitignore
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('!'))
    .map((line) => {
      const dirOnly = line.endsWith('/');
      const pattern = dirOnly ? line.slice(0, -1) : line;
      const anchored = pattern.includes('/');
      const source = pattern.replace(/^\//, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
      return { dirOnly, anchored, re: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split('/');
    return parts.some((_, i) => {
      const prefix = parts.slice(0, i + 1).join('/');
      const isDir = i < parts.length - 1;
      return rules.some((rule) => (!rule.dirOnly || isDir) && rule.re.test(rule.anchored ? prefix : basename(prefix)));
    });
  };
}

/** Line counts outside the common head and tail: enough for a reference model. */
function diff(before: Files, after: Files): FileChange[] {
  const lines = (text: string | undefined) => (text ? text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined) : []);
  const changes: FileChange[] = [];
  for (const path of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[path] === after[path]) continue;
    const old = lines(before[path]);
    const now = lines(after[path]);
    let head = 0;
    while (head < old.length && head < now.length && old[head] === now[head]) head++;
    let tail = 0;
    while (tail < old.length - head && tail < now.length - head && old[old.length - 1 - tail] === now[now.length - 1 - tail]) tail++;
    const status = before[path] === undefined ? 'added' : after[path] === undefined ? 'deleted' : 'modified';
    changes.push({ path, status, additions: now.length - head - tail, deletions: old.length - head - tail });
  }
  return changes;
}
