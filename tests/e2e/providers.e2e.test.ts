import { existsSync } from 'node:fs';
import { chmod, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptedModel } from '../contract/provider.contract.js';
import { codexModelFor } from '../support/codex-harness.js';
import { copilotCacheDir, copilotModelFor } from '../support/copilot-harness.js';
import { apiToken } from '../support/e2e-fixture.js';
import { geminiModelFor } from '../support/gemini-harness.js';
import { opencodeModelFor } from '../support/opencode-harness.js';
import { startScriptedGemini, type ScriptedGemini } from '../support/scripted-gemini.js';
import { startScriptedOpenAi, type ScriptedOpenAi } from '../support/scripted-openai.js';
import { collectEvents, postExecute } from '../support/sse-client.js';
import { startWorker, type WorkerProcess } from '../support/worker-process.js';

// Shaped like each provider's keys, with dots so that none can pass for a real one.
const tokens: Record<string, string> = {
  codex: 'sk-proj-test.codex.e2e.0123456789',
  gemini: 'AIza-test.gemini.e2e.0123456789',
  opencode: 'sk-test.opencode.e2e.0123456789',
  copilot: 'sk-test.copilot.e2e.0123456789',
  cursor: 'key-test.cursor.e2e.0123456789',
};

const cursorFixture = fileURLToPath(new URL('../fixtures/cursor/documented-write.jsonl', import.meta.url));

describe('one worker, every provider: the same stream, the same errors, the same resume', () => {
  let openai: ScriptedOpenAi;
  let google: ScriptedGemini;
  let worker: WorkerProcess;
  let workspaceDir: string;
  const models: Record<string, () => ScriptedModel> = {};

  beforeAll(async () => {
    workspaceDir = await realpath(await mkdtemp(join(tmpdir(), 'uw-providers-')));
    // cursor-agent cannot be installed here: a stand-in prints its documented output.
    const cursor = join(workspaceDir, 'cursor-agent');
    await writeFile(cursor, `#!/bin/sh\ncat > /dev/null\ncat '${cursorFixture}'\n`);
    await chmod(cursor, 0o755);
    openai = await startScriptedOpenAi();
    google = await startScriptedGemini();
    models.codex = () => codexModelFor(openai);
    models.opencode = () => opencodeModelFor(openai);
    models.copilot = () => copilotModelFor(openai);
    models.gemini = () => geminiModelFor(google);
    worker = await startWorker({
      env: {
        WORKER_API_TOKEN: apiToken,
        HOST: '127.0.0.1',
        WORKSPACE_DIR: workspaceDir,
        EXIT_AFTER_JOB: 'false',
        // No CODEX_MODEL: the worker's default for a custom endpoint must work.
        CODEX_BASE_URL: openai.url,
        CODEX_MAX_RETRIES: '0',
        GEMINI_BASE_URL: google.url,
        GEMINI_MODEL: 'gemini-2.5-pro',
        GEMINI_MAX_ATTEMPTS: '1',
        OPENCODE_BASE_URL: openai.url,
        OPENCODE_MODEL: 'scripted-model',
        COPILOT_BASE_URL: openai.url,
        COPILOT_MODEL: 'scripted-model',
        COPILOT_CACHE_DIR: copilotCacheDir,
        CURSOR_PATH: join(workspaceDir, 'cursor-agent'),
      },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await openai?.close();
    await google?.close();
    await rm(workspaceDir, { recursive: true, force: true });
  });

  const execute = async (provider: string, body: Record<string, unknown>) =>
    collectEvents(
      await postExecute(
        worker.url,
        { userRequest: 'Create hello.ts', codingAssistantProvider: provider, codingAssistantAccessToken: tokens[provider], ...body },
        { token: apiToken },
      ),
    );

  for (const provider of ['codex', 'gemini', 'opencode', 'copilot']) {
    it(`${provider}: writes the file, streams the normalized items, then resumes the session`, async () => {
      const model = models[provider]!();
      model.answerWrite('hello.ts', 'export {};\n');
      model.answerText('Created hello.ts');
      const events = await execute(provider, { workspace: `${provider}-one` });
      expect(events[0]?.data).toMatchObject({ type: 'connected', provider });
      const terminal = events.filter((event) => event.data.type === 'completed' || event.data.type === 'error');
      expect(terminal.map((event) => event.data.type)).toEqual(['completed']);
      const kinds = events.filter((event) => event.data.type === 'assistant_message').map((event) => (event.data.item as { kind: string }).kind);
      expect(kinds[0]).toBe('session');
      expect(kinds).toEqual(expect.arrayContaining(['tool_call', 'tool_result', 'text', 'usage']));
      const completed = events.at(-1)!.data;
      expect(completed).toMatchObject({ type: 'completed', result: 'Created hello.ts' });
      expect(existsSync(join(workspaceDir, `${provider}-one`, 'hello.ts'))).toBe(true);
      expect(events.map((event) => event.raw).join('\n')).not.toContain(tokens[provider]);

      model.answerText('resumed');
      const resumed = await execute(provider, { workspace: `${provider}-two`, resumeSessionId: completed.sessionId, userRequest: 'go on' });
      expect(resumed.at(-1)?.data).toMatchObject({ type: 'completed', sessionId: completed.sessionId, result: 'resumed' });
    });
  }

  it('cursor (a stand-in printing the documented format): the same items, and a resume refused up front', async () => {
    const events = await execute('cursor', {});
    const kinds = events.filter((event) => event.data.type === 'assistant_message').map((event) => (event.data.item as { kind: string }).kind);
    expect(kinds).toEqual(['session', 'text', 'tool_call', 'tool_result', 'text', 'tool_call', 'tool_result']);
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed', sessionId: 'c6b62c6f-7ead-4fd6-9922-e952131177ff' });
    const response = await postExecute(
      worker.url,
      { userRequest: 'go on', codingAssistantProvider: 'cursor', codingAssistantAccessToken: tokens.cursor, resumeSessionId: 'c6b62c6f-7ead-4fd6-9922-e952131177ff' },
      { token: apiToken },
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('provider cursor cannot resume');
  });

  it('refuses an option a provider cannot honour with 400 naming the provider', async () => {
    const response = await postExecute(
      worker.url,
      { userRequest: 'x', codingAssistantProvider: 'codex', codingAssistantAccessToken: tokens.codex, providerOptions: { appendSystemPrompt: 'be brief' } },
      { token: apiToken },
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string; issues: Array<{ path: string; message: string }> } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(body.error)).toContain('codex');
    expect(body.error.issues[0]?.path).toBe('providerOptions.appendSystemPrompt');
  });

  it('lists every provider on GET /health with whether its CLI is installed and its version', async () => {
    const health = (await (await fetch(`${worker.url}/health`)).json()) as { providers: Array<{ id: string; available: boolean; version?: string }> };
    expect(health.providers.map((provider) => provider.id).sort()).toEqual(['claude-code', 'codex', 'copilot', 'cursor', 'gemini', 'opencode']);
    for (const provider of health.providers.filter((p) => p.id !== 'cursor')) {
      expect(provider).toMatchObject({ available: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    }
    // The stand-in is there; a CLI from PATH has no package to read a version from.
    expect(health.providers.find((provider) => provider.id === 'cursor')).toEqual({ id: 'cursor', available: true });
  });
});
