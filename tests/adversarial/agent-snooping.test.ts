import { readdir, readFile, stat } from 'node:fs/promises';
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
    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: snoop, description: 'look around' } },
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
    expect(output).toContain(`remote.origin.url=${repoUrl}`);
    expect(output).toContain('worker.mjs');
    for (const secret of [apiToken, git.token]) expect(output).not.toContain(secret);
    // The CLI needs its own key in its environment; the worker masks it wherever it surfaces.
    expect(output).toContain('ANTHROPIC_API_KEY=[REDACTED]');
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
});

// Environment, repo config, and the full argv of every ancestor (the worker, the CLI) plus every
// node/git/claude process. A whole `ps` listing of a busy host is too long for one tool result:
// the CLI would park it in a file instead of answering with it.
const snoop = [
  'env',
  'cat .git/config',
  'git config --list',
  'p=$$; while [ "$p" -gt 1 ]; do tr "\\0" " " < /proc/$p/cmdline; echo; p=$(ps -o ppid= -p "$p" | tr -d " "); done',
  'ps -eww -o args | grep -e node -e git -e claude | cut -c1-400 | head -n 40',
].join('; ');

async function allFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    if ((await stat(path)).isFile()) files.push(path);
  }
  return files;
}
