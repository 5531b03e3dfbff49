import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietClaudeEnv } from './claude-harness.js';
import { startScriptedAnthropic, type ScriptedAnthropic } from './scripted-anthropic.js';
import { startWorker, type StartOptions, type WorkerProcess } from './worker-process.js';

export const apiToken = 'worker-api-token-0123456789abcdef';
// Shaped like an API key, with dots so that it can never pass for a real one.
export const providerToken = 'sk-ant-test.provider.token.abcdefghijklmnop';

export interface E2eFixture {
  model: ScriptedAnthropic;
  worker: WorkerProcess;
  workspaceDir: string;
  close(): Promise<void>;
}

/** A scripted Anthropic API and the real worker process pointed at it, in a fresh directory. */
export async function startE2e(env: Record<string, string> = {}, options: Omit<StartOptions, 'env'> = {}): Promise<E2eFixture> {
  const workspaceDir = await realpath(await mkdtemp(join(tmpdir(), 'uw-e2e-')));
  const model = await startScriptedAnthropic();
  let worker: WorkerProcess;
  try {
    worker = await startWorker({
      ...options,
      env: {
        ...quietClaudeEnv,
        WORKER_API_TOKEN: apiToken,
        HOST: '127.0.0.1',
        WORKSPACE_DIR: workspaceDir,
        ANTHROPIC_BASE_URL: model.url,
        CLAUDE_CODE_MAX_RETRIES: '0',
        EXIT_AFTER_JOB: 'false',
        SHUTDOWN_GRACE_MS: '5000',
        ...env,
      },
    });
  } catch (error) {
    await model.close();
    throw error;
  }
  return {
    model,
    worker,
    workspaceDir,
    close: async () => {
      await worker.stop();
      await model.close();
      await rm(workspaceDir, { recursive: true, force: true });
    },
  };
}

export const executeBody = (overrides: Record<string, unknown> = {}) => ({
  userRequest: 'Create hello.ts',
  codingAssistantProvider: 'claude-code',
  codingAssistantAccessToken: providerToken,
  ...overrides,
});
