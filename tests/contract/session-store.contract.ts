import { describe, expect, it } from 'vitest';
import type { PersistenceTarget } from '../../src/application/ports/persistence.port.js';
import type { SessionStorePort } from '../../src/application/ports/session-store.port.js';
import type { SessionSnapshot } from '../../src/domain/session.js';

export interface SessionStoreHarness {
  name: string;
  /** A fresh, empty store per test. */
  create(): Promise<{ store: SessionStorePort; target?: PersistenceTarget; close(): Promise<void> }>;
}

const never = new AbortController().signal;
const snapshot = (id: string, content = 'line 1\nline 2\n'): SessionSnapshot => ({
  session: { provider: 'claude-code', providerSessionId: id, branch: 'agent/x' },
  artifacts: [{ name: 'transcript.jsonl', content }],
  savedAt: 1_700_000_000_000,
});

export function describeSessionStoreContract(harness: SessionStoreHarness): void {
  describe(`SessionStorePort contract: ${harness.name}`, () => {
    it('gives back what was saved, by the provider session id', async () => {
      const { store, target, close } = await harness.create();
      await store.save(snapshot('s-1'), target, never);
      expect(await store.load('s-1', target, never)).toEqual(snapshot('s-1'));
      await close();
    });

    it('has nothing for an id it never saw', async () => {
      const { store, target, close } = await harness.create();
      expect(await store.load('unknown', target, never)).toBeUndefined();
      await close();
    });

    it('keeps the latest save of a session', async () => {
      const { store, target, close } = await harness.create();
      await store.save(snapshot('s-1', 'old'), target, never);
      await store.save(snapshot('s-1', 'new'), target, never);
      expect((await store.load('s-1', target, never))?.artifacts[0]?.content).toBe('new');
      await close();
    });

    it('erases a session for good, and says when there was none', async () => {
      const { store, target, close } = await harness.create();
      await store.save(snapshot('s-gone'), target, never);
      expect(await store.erase('s-gone', target, never)).toBe(true);
      expect(await store.load('s-gone', target, never)).toBeUndefined();
      expect(await store.erase('s-gone', target, never)).toBe(false);
      await close();
    });

    it('keeps the uncommitted work saved with a snapshot', async () => {
      const { store, target, close } = await harness.create();
      const patch = Buffer.from('diff --git a/x b/x\nnew file mode 100644\n');
      const withWork = { ...snapshot('s-work'), work: { baseCommit: 'c'.repeat(40), patch: patch.toString('base64'), bytes: patch.length } };
      await store.save(withWork, target, never);
      expect(await store.load('s-work', target, never)).toEqual(withWork);
      await close();
    });

    it('keeps large transcripts and unicode intact', async () => {
      const { store, target, close } = await harness.create();
      const content = `${'{"type":"user","text":"caf\u00e9 \u2603"}\n'.repeat(20_000)}`;
      await store.save(snapshot('s-big', content), target, never);
      expect((await store.load('s-big', target, never))?.artifacts[0]?.content).toBe(content);
      await close();
    });
  });
}
