import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/worker-process.js';

const run = promisify(execFile);

/** Runs a checker that .ci/run installs; a missing one fails here with its name, never passes silently. */
async function check(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: projectRoot, env: { ...process.env, ...env } });
    return stdout + stderr;
  } catch (error) {
    const failure = error as { code?: string; stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') throw new Error(`${command} is not installed (.ci/run installs it)`);
    throw new Error(`${command} ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

describe('the deployment files, checked without a Docker engine', () => {
  it('HAProxy accepts its configuration', async () => {
    // Its Lua file is read from where the image puts it; here, from the checkout.
    const dir = await mkdtemp(join(tmpdir(), 'uw-haproxy-'));
    const template = await readFile(join(projectRoot, 'deploy/haproxy/haproxy.cfg'), 'utf8');
    await writeFile(join(dir, 'haproxy.cfg'), template.replaceAll('/usr/local/etc/haproxy/', `${join(projectRoot, 'deploy/haproxy')}/`));
    expect(await check('haproxy', ['-c', '-f', join(dir, 'haproxy.cfg')], { WORKER_HOST: 'tasks.worker' })).toContain('Configuration file is valid');
    await rm(dir, { recursive: true });
  });

  it('the Swarm stack and the compose file are valid stack files', async () => {
    await check('docker', ['stack', 'config', '-c', 'deploy/swarm.yml'], { WORKER_IMAGE: 'unified-worker:test' });
    await check('docker', ['stack', 'config', '-c', 'deploy/docker-compose.yml'], { WORKER_API_TOKEN: 'x', DB_API_TOKEN: 'y', POSTGRES_PASSWORD: 'z' });
  });

  it('the Swarm stack refuses to deploy without its image', async () => {
    await expect(run('docker', ['stack', 'config', '-c', 'deploy/swarm.yml'], { cwd: projectRoot, env: { PATH: process.env.PATH ?? '' } })).rejects.toThrow(/WORKER_IMAGE/);
  });

  it("the image's node_modules keep what the bundle loads at run time, and lose what it holds", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'uw-prune-'));
    try {
      await mkdir(join(dir, 'node_modules'));
      await copyFile(join(projectRoot, 'node_modules/.package-lock.json'), join(dir, 'node_modules/.package-lock.json'));
      for (const name of ['@pydantic/genai-prices', 'hono']) await mkdir(join(dir, 'node_modules', name), { recursive: true });
      await run(process.execPath, [join(projectRoot, 'deploy/prune-modules.mjs'), 'claude-code'], { cwd: dir });
      expect((await stat(join(dir, 'node_modules/@pydantic/genai-prices'))).isDirectory()).toBe(true);
      await expect(stat(join(dir, 'node_modules/hono'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the shell scripts pass shellcheck', async () => {
    await check('shellcheck', ['-x', 'deploy/entrypoint.sh', 'deploy/healthcheck.sh', 'deploy/deploy-swarm.sh', 'deploy/test-stack.sh',
      'deploy/local-images/build.sh', 'deploy/local-images/postgres-entrypoint.sh', '.ci/run', 'scripts/test-deps.sh']);
  });
});
