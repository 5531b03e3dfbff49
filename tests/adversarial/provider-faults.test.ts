import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, providerToken, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { processesInside } from '../support/processes.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

const result = '{"type":"result","subtype":"success","is_error":false,"result":"survived","num_turns":1,"session_id":"s-1","usage":{"input_tokens":1,"output_tokens":1}}';

describe('a provider CLI that misbehaves', () => {
  let dir: string;
  let fx: E2eFixture | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uw-bad-cli-'));
  });
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** A stand-in CLI: a shell script that reads the prompt, then does `body`. */
  async function cli(body: string): Promise<string> {
    const path = join(dir, 'claude');
    await writeFile(path, `#!/bin/sh\ncat > /dev/null\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  async function job(env: Record<string, string>) {
    fx = await startE2e(env);
    return collectEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
  }

  it('missing: PROVIDER_UNAVAILABLE naming what to install, not retryable', async () => {
    const events = await job({ CLAUDE_CODE_PATH: join(dir, 'no-such-claude') });
    expect(events.at(-1)?.data).toMatchObject({
      type: 'error',
      code: 'PROVIDER_UNAVAILABLE',
      message: 'the claude CLI could not be started: install it with npm install @anthropic-ai/claude-code',
      retryable: false,
    });
  });

  it('missing, whichever provider: /health says so and the job names the package to install', async () => {
    fx = await startE2e({ CODEX_PATH: join(dir, 'no-such-codex'), GEMINI_PATH: 'no-such-gemini-on-path' });
    const health = (await (await fetch(`${fx.worker.url}/health`)).json()) as { providers: Array<{ id: string; available: boolean }> };
    // cursor-agent is never installed here.
    expect(health.providers.filter((provider) => !provider.available).map((provider) => provider.id).sort()).toEqual(['codex', 'cursor', 'gemini']);
    for (const [provider, install] of [['codex', 'npm install @openai/codex'], ['gemini', 'npm install @google/gemini-cli'], ['cursor', 'curl https://cursor.com/install | bash (cursor-agent is not on npm)']] as const) {
      const events = await collectEvents(
        await postExecute(fx.worker.url, executeBody({ codingAssistantProvider: provider, codingAssistantAccessToken: 'sk-test.missing.cli.0123456789' }), { token: apiToken }),
      );
      expect(events.at(-1)?.data).toMatchObject({
        type: 'error',
        code: 'PROVIDER_UNAVAILABLE',
        message: `the ${provider} CLI could not be started: install it with ${install}`,
        retryable: false,
      });
    }
  });

  it('exits non-zero: PROVIDER_FAILED with the last stderr lines, secrets masked', async () => {
    // Without the credential proxy, so the CLI holds the real key and the masking is what is tested.
    const events = await job({ CREDENTIAL_PROXY: 'false', CLAUDE_CODE_PATH: await cli('echo "fatal: bad things with $ANTHROPIC_API_KEY" >&2; exit 3') });
    const error = events.at(-1)!.data;
    expect(error).toMatchObject({ type: 'error', code: 'PROVIDER_FAILED' });
    expect(error.message).toContain('exited with code 3: fatal: bad things with [REDACTED]');
    expect(events.map((event) => event.raw).join('\n')).not.toContain(providerToken);
  });

  it('prints garbage: the lines are passed over and the job still completes', async () => {
    const events = await job({ CLAUDE_CODE_PATH: await cli(`echo 'not json'; echo '{"broken":'; echo '[1,2]'; printf '\\000\\001\\n'; echo '${result}'`) });
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed', result: 'survived' });
  });

  it('prints only garbage and exits 0: PROVIDER_FAILED, since there is no result', async () => {
    const events = await job({ CLAUDE_CODE_PATH: await cli("echo 'garbage'; exit 0") });
    expect(events.at(-1)?.data).toMatchObject({ type: 'error', code: 'PROVIDER_FAILED' });
  });

  it('goes silent: stopped after PROVIDER_SILENCE_MS with PROVIDER_STALLED, nothing left running', async () => {
    const events = await job({ CLAUDE_CODE_PATH: await cli('sleep 300'), PROVIDER_SILENCE_MS: '500' });
    expect(events.at(-1)?.data).toMatchObject({ type: 'error', code: 'PROVIDER_STALLED', retryable: true });
    expect(processesInside(fx!.workspaceDir)).toEqual([]);
  });

  it('killed with SIGKILL mid-run (the real CLI): PROVIDER_FAILED naming the signal, nothing left running', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'hang' }]);
    const response = postExecute(fx.worker.url, executeBody(), { token: apiToken }).then(collectEvents);
    let cli: number[] = [];
    while (cli.length === 0 || fx.model.mainLoopRequests().length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      cli = processesInside(fx.workspaceDir);
    }
    for (const pid of cli) process.kill(pid, 'SIGKILL');
    const events = await response;
    expect(events.at(-1)?.data).toMatchObject({ type: 'error', code: 'PROVIDER_FAILED', message: expect.stringContaining('killed by SIGKILL') });
    expect(processesInside(fx.workspaceDir)).toEqual([]);
  });
});
