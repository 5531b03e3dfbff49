import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import type { LoggerPort } from '../../application/ports/logger.port.js';
import type { SessionStorePort } from '../../application/ports/session-store.port.js';
import type { SessionSnapshot } from '../../domain/session.js';

export const snapshotSchema = v.object({
  session: v.object({ provider: v.string(), providerSessionId: v.string(), branch: v.optional(v.string()) }),
  artifacts: v.array(v.object({ name: v.string(), content: v.string() })),
  savedAt: v.number(),
  work: v.optional(v.object({ baseCommit: v.string(), patch: v.string(), bytes: v.number() })),
});

// Session ids reach here from requests; the schema allows only these, but the store checks again.
const safeId = /^[A-Za-z0-9._-]{1,128}$/;
// What save() writes: a session's file, and the temp file a crash may leave behind.
const storeFile = /\.(json|tmp)$/;

export interface FileSessionStoreOptions {
  /** A session not saved again for this long is deleted; 0 keeps every session. */
  retentionMs?: number;
  /** How often a save may sweep: a sweep reads every stored session, too much for every job. */
  sweepEveryMs?: number;
  logger?: LoggerPort;
}

/**
 * Sessions as JSON files in one directory of this replica, each kept for the retention after
 * its last save: the sweep runs at start (the container calls it) and after a save (the end of
 * a job) once sweepEveryMs has passed since the last, by default a 24th of the retention and at
 * most an hour.
 */
export class FileSessionStore implements SessionStorePort {
  // Saves and sweeps take turns: a sweep that read an old mtime must not delete a file saved since.
  #turn: Promise<unknown> = Promise.resolve();
  #lastSweep = 0;

  constructor(
    private readonly dir: string,
    private readonly options: FileSessionStoreOptions = {},
  ) {}

  async save(snapshot: SessionSnapshot, _target?: unknown): Promise<void> {
    const file = this.#file(snapshot.session.providerSessionId);
    return this.#inTurn(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // Write then rename, so a crash never leaves half a transcript behind.
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(snapshot), { mode: 0o600 });
      await rename(temp, file);
      const { retentionMs = 0, sweepEveryMs = Math.min(retentionMs / 24, 3_600_000) } = this.options;
      if (Date.now() - this.#lastSweep >= sweepEveryMs) await this.#sweep();
    });
  }

  /** Deletes the sessions not saved for longer than the retention; never throws. */
  sweep(): Promise<void> {
    return this.#inTurn(() => this.#sweep());
  }

  async load(providerSessionId: string, _target?: unknown): Promise<SessionSnapshot | undefined> {
    const text = await readFile(this.#file(providerSessionId), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const parsed = v.safeParse(snapshotSchema, safeJson(text));
    return parsed.success ? parsed.output : undefined;
  }

  async erase(providerSessionId: string, _target?: unknown): Promise<boolean> {
    const file = this.#file(providerSessionId);
    const existed = await stat(file).then(() => true, () => false);
    await rm(file, { force: true });
    return existed;
  }

  async #sweep(): Promise<void> {
    const { retentionMs = 0, logger } = this.options;
    if (retentionMs === 0) return;
    this.#lastSweep = Date.now();
    const oldest = Date.now() - retentionMs;
    let deleted = 0;
    try {
      for (const name of await readdir(this.dir).catch(() => [])) {
        const file = join(this.dir, name);
        const info = storeFile.test(name) ? await lstat(file).catch(() => undefined) : undefined;
        if (!info?.isFile() || info.mtimeMs >= oldest) continue;
        await rm(file, { force: true });
        deleted += 1;
      }
    } catch (error) {
      logger?.warn({ dir: this.dir, err: error }, 'expired sessions not deleted');
    }
    if (deleted > 0) logger?.info({ deleted, retentionMs }, 'expired sessions deleted');
  }

  #inTurn<T>(task: () => Promise<T>): Promise<T> {
    const turn = this.#turn.then(task);
    this.#turn = turn.catch(() => undefined);
    return turn;
  }

  #file(id: string): string {
    if (!safeId.test(id) || id === '.' || id === '..') throw new Error('unsafe session id');
    return join(this.dir, `${id}.json`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
