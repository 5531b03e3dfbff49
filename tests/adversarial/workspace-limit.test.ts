import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { processesInside } from '../support/processes.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

const terminalOf = (events: Array<{ data: { type: string } }>) => events.filter((event) => event.data.type === 'completed' || event.data.type === 'error');

describe('a workspace that outgrows WORKSPACE_MAX_MB', () => {
  let fx: E2eFixture | undefined;
  let git: GitServer | undefined;
  afterEach(async () => {
    await fx?.close();
    await git?.close();
    fx = undefined;
    git = undefined;
  });

  it('a checkout over the limit ends WORKSPACE_TOO_LARGE before the assistant starts', async () => {
    git = await startGitServer();
    const repoUrl = await git.createRepo('big', { 'blob.txt': randomBytes(3 * 1024 * 1024).toString('base64') });
    fx = await startE2e({ WORKSPACE_MAX_MB: '2', GIT_ALLOWED_INSECURE_HOSTS: '127.0.0.1' });
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ github: { repoUrl, accessToken: git.token } }), { token: apiToken }));
    expect(terminalOf(events).map((event) => event.data)).toEqual([
      expect.objectContaining({ type: 'error', code: 'WORKSPACE_TOO_LARGE', retryable: false, message: expect.stringMatching(/more than the 2 MiB allowed/) }),
    ]);
    expect(fx.model.mainLoopRequests()).toHaveLength(0);
  });

  it('an agent that writes past the limit is stopped with WORKSPACE_TOO_LARGE, leaving nothing running', async () => {
    fx = await startE2e({ WORKSPACE_MAX_MB: '2', WORKSPACE_CHECK_MS: '200' });
    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: 'head -c 5M /dev/urandom > big.bin && sleep 30', description: 'grow' } },
      { kind: 'text', text: 'never' },
    ]);
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ providerOptions: { allowedTools: ['Bash'] } }), { token: apiToken }));
    expect(terminalOf(events).map((event) => event.data)).toEqual([expect.objectContaining({ type: 'error', code: 'WORKSPACE_TOO_LARGE', retryable: false })]);
    expect(processesInside(fx.workspaceDir)).toEqual([]);
  });
});
