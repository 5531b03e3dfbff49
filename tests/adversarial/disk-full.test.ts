import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { processesInside } from '../support/processes.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

/** Bytes in use on the file system holding `dir`, as df counts them. */
const used = async (dir: string): Promise<number> => {
  const { blocks, bfree, bsize } = await statfs(dir);
  return (blocks - bfree) * bsize;
};

const terminal = (events: Array<{ data: { type: string } }>) => events.filter((event) => event.data.type === 'completed' || event.data.type === 'error');

describe('a workspace whose disk is full (WORKSPACE_DIR on a 4 MiB tmpfs)', () => {
  let disk: string;
  let git: GitServer;
  let fx: E2eFixture;
  beforeAll(async () => {
    disk = await mkdtemp(join(tmpdir(), 'uw-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', disk]);
    } catch {
      throw new Error('mounting a tmpfs needs root (the CI runs the suite as root)');
    }
    git = await startGitServer();
  });
  afterAll(async () => {
    await git?.close();
    execFileSync('umount', [disk]);
    await rm(disk, { recursive: true, force: true });
    await rm(join(tmpdir(), `uw-full-state-${process.pid}`), { recursive: true, force: true });
  });
  beforeEach(async () => {
    // The worker's own state (the CLI's HOME, sessions) lives elsewhere: only the workspace is full.
    fx = await startE2e({ WORKSPACE_DIR: disk, STATE_DIR: join(tmpdir(), `uw-full-state-${process.pid}`), GIT_ALLOWED_INSECURE_HOSTS: '127.0.0.1' });
  });
  afterEach(async () => {
    await fx.close();
    execFileSync('sh', ['-c', `rm -rf ${disk}/*`]);
  });

  it('a clone that does not fit ends REPO_FAILED "disk full", before the assistant starts, and the disk has its space back', async () => {
    // Random bytes do not compress: 6 MiB of them cannot land on 4 MiB.
    const repoUrl = await git.createRepo('big', { 'blob.txt': randomBytes(6 * 1024 * 1024).toString('base64') });
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ github: { repoUrl, accessToken: git.token } }), { token: apiToken }));
    expect(terminal(events).map((event) => event.data)).toEqual([
      expect.objectContaining({ type: 'error', code: 'REPO_FAILED', message: 'git clone failed: disk full', retryable: false }),
    ]);
    expect(fx.model.mainLoopRequests()).toHaveLength(0);
    expect(processesInside(disk)).toEqual([]);
    // The stream ends once the job's directory is gone: the half clone went with it.
    expect(await readdir(join(disk, 'jobs')).catch(() => [])).toEqual([]);
    expect(await used(disk)).toBe(0);
  });

  it('an agent that fills the disk sees its tool fail; the job still ends with one terminal event, and the disk has its space back', async () => {
    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: 'head -c 8M /dev/urandom > big.bin', description: 'fill the disk' } },
      { kind: 'text', text: 'the disk is full' },
    ]);
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ providerOptions: { allowedTools: ['Bash'] } }), { token: apiToken }));
    const result = events.find((event) => (event.data.item as { kind?: string } | undefined)?.kind === 'tool_result')?.data.item as { ok: boolean; output: string };
    expect(result).toMatchObject({ ok: false });
    expect(result.output).toMatch(/No space left on device/);
    expect(terminal(events).map((event) => event.data.type)).toEqual(['completed']);
    expect(processesInside(disk)).toEqual([]);
    expect(await readdir(join(disk, 'jobs')).catch(() => [])).toEqual([]);
    expect(await used(disk)).toBe(0);
  });
});
