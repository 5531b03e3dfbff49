import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRepoContract } from '../contract/repo.contract.js';
import { MemoryRepo } from '../support/memory-repo.js';

describeRepoContract({
  name: 'in-memory reference',
  async create() {
    const root = await realpath(await mkdtemp(join(tmpdir(), 'uw-memrepo-')));
    const repo = new MemoryRepo();
    let n = 0;
    return {
      repo,
      upstream: repo,
      bookkeeping: '.memory-repo',
      workspace: async () => {
        const dir = join(root, `ws-${++n}`);
        await mkdir(dir);
        return dir;
      },
      close: () => rm(root, { recursive: true, force: true }),
    };
  },
});
