import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = new URL('../../scripts/build-if-stale.mjs', import.meta.url).pathname;
const outputs = ['dist/worker.mjs', 'dist/worker.cjs', 'dist/worker.cjs.cache', 'dist/db-api.mjs', 'dist/cli.mjs', 'dist/client.mjs'];

describe('npm start builds only what is stale', () => {
  let dir: string;
  const builds = async () => (await readFile(join(dir, 'builds'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  const start = () => run(process.execPath, [script], { cwd: dir, env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}` } });
  const age = async (path: string, secondsAgo: number) => {
    const at = new Date(Date.now() - secondsAgo * 1000);
    await utimes(join(dir, path), at, at);
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uw-stale-'));
    await mkdir(join(dir, 'bin'));
    await mkdir(join(dir, 'src/domain'), { recursive: true });
    await mkdir(join(dir, 'dist'));
    // An npm that records each build instead of running one.
    await writeFile(join(dir, 'bin/npm'), `#!/bin/sh\necho "$*" >> "${dir}/builds"\n`);
    await chmod(join(dir, 'bin/npm'), 0o755);
    for (const file of ['src/domain/job.ts', 'package.json', 'package-lock.json']) {
      await writeFile(join(dir, file), '');
      await age(file, 60);
    }
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('builds a fresh clone, skips a built tree, and builds again after a source changes', async () => {
    await start();
    expect(await builds()).toBe(1);
    for (const file of outputs) await writeFile(join(dir, file), '');
    await start();
    expect(await builds()).toBe(1);
    await writeFile(join(dir, 'src/domain/job.ts'), 'changed');
    await age('src/domain/job.ts', -5);
    await start();
    expect(await builds()).toBe(2);
  });
});
