import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A provider contract fixture's directories: a workspace, a second one with another path to resume from, homes. */
export async function providerDirs(name: string) {
  const root = await realpath(await mkdtemp(join(tmpdir(), `uw-${name}-`)));
  const workdir = join(root, 'ws', 'one');
  const otherWorkdir = join(root, 'ws', 'other.dir');
  await mkdir(workdir, { recursive: true });
  await mkdir(otherWorkdir, { recursive: true });
  return { workdir, otherWorkdir, homesDir: join(root, 'homes'), remove: () => rm(root, { recursive: true, force: true }) };
}
