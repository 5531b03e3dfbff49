import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, providerToken, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

describe('an agent that goes looking for secrets through its Bash tool', () => {
  let git: GitServer;
  let fx: E2eFixture;
  beforeEach(async () => {
    git = await startGitServer();
    fx = await startE2e({ GIT_ALLOWED_INSECURE_HOSTS: '127.0.0.1' });
  });
  afterEach(async () => {
    await fx.close();
    await git.close();
  });

  it('finds neither the worker token nor the GitHub token, and the stream masks the provider token', async () => {
    const repoUrl = await git.createRepo('api', { 'README.md': '# api\n' });
    // What the processes show goes to a file outside the workspace: on a busy host it is longer
    // than one tool result, and the CLI would park it in a file of its own instead of answering.
    const probeDir = await mkdtemp(join(tmpdir(), 'uw-snoop-'));
    await chmod(probeDir, 0o777);
    const processesFile = join(probeDir, 'processes.txt');
    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: snoop(processesFile), description: 'look around' } },
      { kind: 'text', text: 'looked' },
    ]);
    const events = await collectEvents(
      await postExecute(
        fx.worker.url,
        executeBody({ github: { repoUrl, accessToken: git.token }, providerOptions: { allowedTools: ['Bash'] } }),
        { token: apiToken },
      ),
    );
    const result = events.find((event) => (event.data.item as { kind?: string } | undefined)?.kind === 'tool_result');
    const output = (result?.data.item as { output: string; ok: boolean }).output;
    expect(output).toContain('PATH=');
    expect(output).toContain(`url = ${repoUrl}`);
    for (const secret of [apiToken, git.token]) expect(output).not.toContain(secret);
    const processes = await readFile(processesFile, 'utf8');
    await rm(probeDir, { recursive: true, force: true });
    expect(processes).toContain(`remote.origin.url=${repoUrl}`);
    expect(processes).toContain('worker.mjs');
    for (const secret of [apiToken, git.token, providerToken]) expect(processes).not.toContain(secret);
    // The CLI holds a placeholder of the key's shape; the real key stays in the worker's proxy.
    expect(output).toMatch(/ANTHROPIC_API_KEY=sk-ant-api03-/);
    expect(output).not.toContain(providerToken);
    const stream = events.map((event) => event.raw).join('\n');
    for (const secret of [apiToken, git.token, providerToken]) expect(stream).not.toContain(secret);

    // Every file the job left under the workspace root (repository, saved session transcript,
    // state), read byte for byte: the printed key must not have been written down anywhere.
    await fx.worker.logged('job ended');
    const left = await allFiles(fx.workspaceDir);
    expect(left.some((file) => file.includes(`${'.unified-worker'}/sessions/`))).toBe(true);
    for (const file of left) {
      const content = await readFile(file, 'latin1');
      for (const secret of [apiToken, git.token, providerToken]) expect(content, file).not.toContain(secret);
    }
  });
  it('leaves no secret in any file written anywhere on the machine while the job ran (find / -newer)', async () => {
    const markerDir = await mkdtemp(join(tmpdir(), 'uw-marker-'));
    const marker = join(markerDir, 'job-start');
    await writeFile(marker, '');
    try {
      const repoUrl = await git.createRepo('found', { 'README.md': '# found\n' });
      // The list goes to a file: on a busy machine it is longer than one tool result. Installed
      // packages (node_modules) are passed over: nothing of a job is written there, and they are huge.
      const find = `find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -name node_modules \\) -prune -o -type f -newer ${marker} -print > ../found.txt 2>/dev/null; wc -l < ../found.txt`;
      fx.model.script([
        { kind: 'tool_use', name: 'Bash', input: { command: find, description: 'what changed' } },
        { kind: 'text', text: 'listed' },
      ]);
      const events = await collectEvents(
        await postExecute(
          fx.worker.url,
          executeBody({ workspace: 'snoop/repo', github: { repoUrl, accessToken: git.token }, providerOptions: { allowedTools: ['Bash'] } }),
          { token: apiToken },
        ),
      );
      expect(events.at(-1)?.data).toMatchObject({ type: 'completed' });
      await fx.worker.logged('job ended');
      const found = (await readFile(join(fx.workspaceDir, 'snoop', 'found.txt'), 'utf8')).split('\n').filter(Boolean);
      expect(found.length).toBeGreaterThan(0);
      let read = 0;
      for (const path of found) {
        const info = await stat(path).catch(() => undefined);
        // Gone by now (the job's HOME, temp files) or too big to be a credential file.
        if (!info?.isFile() || info.size > 5 * 1024 * 1024) continue;
        const content = await readFile(path, 'latin1').catch(() => '');
        read += 1;
        for (const secret of [apiToken, git.token]) expect(content, path).not.toContain(secret);
      }
      expect(read).toBeGreaterThan(0);
    } finally {
      await rm(markerDir, { recursive: true, force: true });
    }
  });
});


// Environment and repo config answer the tool call; every git setting, the full argv of every
// ancestor (the worker, the CLI) and of every node/git/claude process go to `processesFile`.
const snoop = (processesFile: string): string =>
  [
    'env',
    'cat .git/config',
    `{ git config --list; p=$$; while [ "$p" -gt 1 ]; do tr "\\0" " " < /proc/$p/cmdline; echo; p=$(ps -o ppid= -p "$p" | tr -d " "); done; ps -eww -o args | grep -e node -e git -e claude; } > ${processesFile} 2>&1`,
  ].join('; ');

async function allFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    if ((await stat(path)).isFile()) files.push(path);
  }
  return files;
}
