import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliProviderConfig } from '../../src/adapters/providers/cli-provider-config.js';

/**
 * A provider contract fixture's directories (a workspace, a second one with another path to
 * resume from, homes) and the settings every CLI provider takes but its executable.
 */
export async function providerDirs(name: string) {
  const root = await realpath(await mkdtemp(join(tmpdir(), `uw-${name}-`)));
  const workdir = join(root, 'ws', 'one');
  const otherWorkdir = join(root, 'ws', 'other.dir');
  await mkdir(workdir, { recursive: true });
  await mkdir(otherWorkdir, { recursive: true });
  const homesDir = join(root, 'homes');
  const cli: Omit<CliProviderConfig, 'executable'> = { homesDir, silenceMs: 0, path: process.env.PATH ?? '/usr/bin:/bin', lang: 'C.UTF-8' };
  return { workdir, otherWorkdir, homesDir, cli, remove: () => rm(root, { recursive: true, force: true }) };
}
