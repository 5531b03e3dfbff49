import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { RepoCheckout, RepoPort, RepoProgress, RepoSpec } from '../../src/application/ports/repo.port.js';
import { checkRepoUrl } from '../../src/adapters/repo/repo-policy.js';
import { DomainError, type ValidationIssue } from '../../src/domain/errors.js';
import type { FileChange, RepoChanges } from '../../src/domain/repo-changes.js';
import type { Upstream } from '../contract/repo.contract.js';

type Files = Record<string, string>;
interface Commit {
  sha: string;
  files: Files;
}

const host = 'memory.test';
const marker = '.memory-repo';
const sha = (files: Files, parent: string) => createHash('sha1').update(parent + JSON.stringify(files)).digest('hex');

/** A RepoPort whose remote lives in memory: the contract's reference for what any repository adapter does. */
export class MemoryRepo implements RepoPort, Upstream {
  readonly token = 'memory-token-0123456789';
  readonly #repos = new Map<string, Map<string, Commit>>();
  readonly #protected = new Set<string>();

  validate(spec: RepoSpec): ValidationIssue[] {
    return checkRepoUrl(spec.repoUrl, { allowedHosts: [host], insecureHosts: [] });
  }

  async createRepo(name: string, files: Files, options: { branches?: string[] } = {}): Promise<string> {
    const commit = { sha: sha(files, ''), files };
    this.#repos.set(name, new Map([['main', commit], ...(options.branches ?? []).map((b) => [b, commit] as const)]));
    return `https://${host}/${name}.git`;
  }

  async commit(name: string, branch: string, files: Files): Promise<void> {
    const branches = this.#repos.get(name)!;
    const tip = branches.get(branch)!;
    const next = { ...tip.files, ...files };
    branches.set(branch, { sha: sha(next, tip.sha), files: next });
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
    await writeFile(join(workspace, marker), JSON.stringify({ branch, sha: tip.sha }));
    onProgress({ stage: action, percent: 100, processed: 1, total: 1 });
    return { directory: workspace, branch, baseCommit: tip.sha };
  }

  async publish(spec: RepoSpec, checkout: RepoCheckout): Promise<RepoChanges> {
    const name = this.#name(spec);
    const base = [...this.#repos.get(name)!.values()].find((c) => c.sha === checkout.baseCommit) ?? this.#findCommit(checkout.baseCommit);
    const now = await readTree(checkout.directory);
    const filesChanged = diff(base.files, now);
    const headCommit = spec.push && filesChanged.length > 0 ? sha(now, base.sha) : base.sha;
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

  #findCommit(wanted: string): Commit {
    for (const branches of this.#repos.values()) for (const commit of branches.values()) if (commit.sha === wanted) return commit;
    throw new DomainError('REPO_FAILED', 'git commit failed: unknown base');
  }

  #name(spec: RepoSpec): string {
    return new URL(spec.repoUrl).pathname.slice(1).replace(/\.git$/, '');
  }
}

const failure = (action: string, reason: string): DomainError =>
  new DomainError('REPO_FAILED', `git ${action} failed: ${reason}`, { retryable: false });

async function readTree(dir: string): Promise<Files> {
  const files: Files = {};
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    if (entry === marker || !(await stat(path)).isFile()) continue;
    files[relative(dir, path)] = await readFile(path, 'utf8');
  }
  return files;
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
