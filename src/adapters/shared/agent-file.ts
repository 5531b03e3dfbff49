import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';

/**
 * Files the worker (root) reads from a tree the agent could write: its HOME, its transcripts,
 * its workspace. The agent may have put a symlink, a FIFO, a hard link or a huge file where a
 * transcript should be; root following any of them would read what the agent cannot.
 *
 * O_NOFOLLOW refuses a symlink as the last component; O_NONBLOCK makes opening a FIFO return
 * at once instead of waiting for a writer. Every other check is made on the opened handle, not
 * on the path, so swapping the path afterwards changes nothing: its type and link count
 * (fstat), and where it really is (/proc/self/fd/N names the file the handle holds, however
 * the intermediate directories were resolved), which must be inside `root`.
 */
const openFlags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const chunkBytes = 1024 * 1024;

export type AgentFileRefusal = 'symlink' | 'not-regular' | 'outside' | 'hard-linked' | 'too-large';

const refusalText: Record<AgentFileRefusal, string> = {
  symlink: 'is a symbolic link',
  'not-regular': 'is not a regular file',
  outside: 'lies outside the directory it was expected in',
  // Linux's fs.protected_hardlinks stops a user linking a file it does not own; this holds
  // where that is off too: a link made to a file elsewhere raises its count past one.
  'hard-linked': 'has another hard link',
  'too-large': 'is over the size limit',
};

/** A file of the agent's that the worker would not read, and why. */
export class AgentFileRefused extends Error {
  constructor(
    readonly reason: AgentFileRefusal,
    readonly maxBytes: number,
  ) {
    super(reason === 'too-large' ? `is over the ${maxBytes}-byte limit` : refusalText[reason]);
    this.name = 'AgentFileRefused';
  }
}

export interface AgentFileOptions {
  /** The tree the file must lie in, e.g. the job's HOME. */
  root: string;
  /** Larger files are refused, never read in part. */
  maxBytes: number;
}

/** The file's bytes; undefined when there is no such file; AgentFileRefused when it is not one to read. */
export async function readAgentFile(path: string, { root, maxBytes }: AgentFileOptions): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, openFlags);
  } catch (error) {
    return missingOrThrow(error, maxBytes);
  }
  try {
    const stats = await handle.stat();
    const where = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => realpath(path));
    check(stats, where, await realpath(root), maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // One byte past the limit tells a file that grew since fstat from one that ends there.
      const buffer = Buffer.alloc(Math.min(chunkBytes, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new AgentFileRefused('too-large', maxBytes);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** readAgentFile for a caller that cannot wait (a mapper reading a small usage file). */
export function readAgentFileSync(path: string, { root, maxBytes }: AgentFileOptions): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, openFlags);
  } catch (error) {
    return missingOrThrow(error, maxBytes);
  }
  try {
    const stats = fstatSync(fd);
    let where: string;
    try {
      where = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      where = realpathSync(path);
    }
    check(stats, where, realpathSync(root), maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(Math.min(chunkBytes, maxBytes + 1 - total));
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new AgentFileRefused('too-large', maxBytes);
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

export interface AgentDirEntry {
  name: string;
  /** `other` is a symlink, FIFO, socket or device: never followed, never descended into. */
  kind: 'file' | 'directory' | 'other';
}

/** What a directory of the agent's holds, by the type each entry has itself (no entry is followed); empty when it is missing or not a directory. */
export async function listAgentDir(dir: string): Promise<AgentDirEntry[]> {
  const stats = await lstat(dir).catch(() => undefined);
  if (!stats?.isDirectory()) return [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.map((entry) => ({ name: entry.name, kind: entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other' }));
}

/**
 * Every entry under `dir`, as a path relative to it, parents first. Unlike readdir's
 * `recursive`, which follows a symlink to a directory anywhere under `dir`, it descends only
 * into real directories.
 */
export async function* walkAgentTree(dir: string): AsyncGenerator<AgentDirEntry & { path: string }> {
  const pending = [''];
  for (let relative = pending.pop(); relative !== undefined; relative = pending.pop()) {
    for (const entry of await listAgentDir(join(dir, relative))) {
      const path = relative === '' ? entry.name : join(relative, entry.name);
      yield { ...entry, path };
      if (entry.kind === 'directory') pending.push(path);
    }
  }
}

function check(stats: Stats, where: string, root: string, maxBytes: number): void {
  if (!stats.isFile()) throw new AgentFileRefused('not-regular', maxBytes);
  if (where !== root && !where.startsWith(root.endsWith(sep) ? root : root + sep)) throw new AgentFileRefused('outside', maxBytes);
  if (stats.nlink > 1) throw new AgentFileRefused('hard-linked', maxBytes);
  if (stats.size > maxBytes) throw new AgentFileRefused('too-large', maxBytes);
}

function missingOrThrow(error: unknown, maxBytes: number): undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  // Linux answers O_NOFOLLOW on a symlink with ELOOP; a socket cannot be opened at all.
  if (code === 'ELOOP') throw new AgentFileRefused('symlink', maxBytes);
  if (code === 'ENXIO') throw new AgentFileRefused('not-regular', maxBytes);
  throw error;
}
