import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
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

/** Sessions as JSON files in one directory of this replica. */
export class FileSessionStore implements SessionStorePort {
  constructor(private readonly dir: string) {}

  async save(snapshot: SessionSnapshot, _target?: unknown): Promise<void> {
    const file = this.#file(snapshot.session.providerSessionId);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Write then rename, so a crash never leaves half a transcript behind.
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(snapshot), { mode: 0o600 });
    await rename(temp, file);
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
