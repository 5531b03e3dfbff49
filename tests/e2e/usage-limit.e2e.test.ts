import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietClaudeEnv } from '../support/claude-harness.js';
import { copilotCacheDir } from '../support/copilot-harness.js';
import { apiToken } from '../support/e2e-fixture.js';
import { startScriptedUsageLimit, type LimitReply, type ScriptedUsageLimit } from '../support/scripted-usage-limit.js';
import { collectEvents, postExecute } from '../support/sse-client.js';
import { startWorker, type WorkerProcess } from '../support/worker-process.js';

// Shaped like each provider's credentials, with dots so that none can pass for a real one.
// Claude reads limits only for a claude.ai OAuth token (sk-ant-oat…), not for an API key.
const tokens: Record<string, string> = {
  'claude-code': 'sk-ant-oat01-test.usage.limit.e2e.0123456789',
  codex: 'sk-proj-test.codex.usage.limit.0123456789',
  gemini: 'AIza-test.gemini.usage.limit.0123456789',
  opencode: 'sk-test.opencode.usage.limit.0123456789',
  copilot: 'sk-test.copilot.usage.limit.0123456789',
};

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
const quota = { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } };

interface Case {
  provider: string;
  /** The 429 from /tmp research on each CLI: the fastest way each one gives up. */
  reply: LimitReply;
  /** What the terminal event says about the reset, given the server's reset time. */
  reset: (resetAt: Date) => Record<string, unknown>;
}

const cases: Case[] = [
  {
    provider: 'claude-code',
    // An OAuth subscriber never retries a 429; the unified headers become a rate_limit_event.
    reply: {
      headers: (resetAt) => ({
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-reset': String(epochSeconds(resetAt)),
        'anthropic-ratelimit-unified-representative-claim': 'five_hour',
      }),
      body: () => ({ type: 'error', error: { type: 'rate_limit_error', message: "This request would exceed your account's rate limit. Please try again later." } }),
    },
    reset: (resetAt) => ({ resetAt: new Date(epochSeconds(resetAt) * 1000).toISOString() }),
  },
  {
    provider: 'codex',
    // usage_limit_reached is never retried; the reset comes back as a UTC time to the minute.
    reply: { body: (resetAt) => ({ error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'pro', resets_at: epochSeconds(resetAt) } }) },
    reset: (resetAt) => ({ resetAt: new Date(Math.floor(resetAt.getTime() / 60_000) * 60_000).toISOString() }),
  },
  {
    provider: 'gemini',
    // A RetryInfo over 300 s is a terminal quota error: no retry.
    reply: {
      body: () => ({
        error: {
          code: 429,
          status: 'RESOURCE_EXHAUSTED',
          message: 'Resource has been exhausted (e.g. check quota).',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3600s' }],
        },
      }),
    },
    reset: () => ({ retryAfterMs: 3_600_000 }),
  },
  {
    provider: 'opencode',
    // opencode retries every 429 and honours retry-after-ms: 50 ms makes its five retries instant.
    reply: { headers: () => ({ 'retry-after-ms': '50', 'retry-after': '7200' }), body: () => quota },
    reset: () => ({ retryAfterMs: 7_200_000 }),
  },
  {
    provider: 'copilot',
    // Copilot gives up at once on a retry-after of 300 s or more; it prints no reset on BYOK.
    reply: { headers: () => ({ 'retry-after': '3600' }), body: () => quota },
    reset: () => ({}),
  },
];

describe('a used-up provider account ends the job with USAGE_LIMIT, and the reset time when the CLI prints one', () => {
  let server: ScriptedUsageLimit;
  let worker: WorkerProcess;
  let workspaceDir: string;

  beforeAll(async () => {
    workspaceDir = await realpath(await mkdtemp(join(tmpdir(), 'uw-usage-limit-')));
    server = await startScriptedUsageLimit();
    worker = await startWorker({
      env: {
        ...quietClaudeEnv,
        WORKER_API_TOKEN: apiToken,
        HOST: '127.0.0.1',
        WORKSPACE_DIR: workspaceDir,
        EXIT_AFTER_JOB: 'false',
        ANTHROPIC_BASE_URL: server.url,
        CLAUDE_CODE_MAX_RETRIES: '0',
        CODEX_BASE_URL: `${server.url}/v1`,
        CODEX_MAX_RETRIES: '0',
        GEMINI_BASE_URL: server.url,
        GEMINI_MODEL: 'gemini-2.5-pro',
        GEMINI_MAX_ATTEMPTS: '1',
        OPENCODE_BASE_URL: `${server.url}/v1`,
        OPENCODE_MODEL: 'scripted-model',
        COPILOT_BASE_URL: `${server.url}/v1`,
        COPILOT_MODEL: 'scripted-model',
        COPILOT_CACHE_DIR: copilotCacheDir,
      },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.close();
    await rm(workspaceDir, { recursive: true, force: true });
  });

  // opencode alone takes 5-30 s to start on a loaded two-CPU machine, before its first request.
  const startUpMs = 120_000;
  for (const { provider, reply, reset } of cases) {
    it(`${provider}: a 429 over the account's limit`, { timeout: startUpMs }, async () => {
      server.answer(reply, 7_200_000);
      const events = await collectEvents(
        await postExecute(
          worker.url,
          { userRequest: 'Create hello.ts', codingAssistantProvider: provider, codingAssistantAccessToken: tokens[provider], workspace: provider },
          { token: apiToken },
        ),
      );
      expect(server.calls).toBeGreaterThan(0);
      const terminal = events.filter((event) => event.data.type === 'completed' || event.data.type === 'error');
      expect(terminal).toHaveLength(1);
      expect(terminal[0]!.data).toMatchObject({ type: 'error', code: 'USAGE_LIMIT', retryable: true, ...reset(server.resetAt) });
      for (const field of ['resetAt', 'retryAfterMs']) {
        if (!(field in reset(server.resetAt))) expect(terminal[0]!.data, field).not.toHaveProperty(field);
      }
      expect(events.map((event) => event.raw).join('\n')).not.toContain(tokens[provider]);
    });
  }
});
