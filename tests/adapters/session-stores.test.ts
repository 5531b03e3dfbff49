import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSessionStore } from '../../src/adapters/sessions/index.js';
import { describeSessionStoreContract } from '../contract/session-store.contract.js';
import { MemorySessionStore } from '../support/in-memory.js';

describeSessionStoreContract({
  name: 'files under STATE_DIR',
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'uw-sessions-'));
    return { store: new FileSessionStore(join(dir, 'sessions')), close: () => rm(dir, { recursive: true, force: true }) };
  },
});

describeSessionStoreContract({
  name: 'in memory',
  async create() {
    return { store: new MemorySessionStore(), close: async () => undefined };
  },
});
