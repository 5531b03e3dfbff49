import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptedModel } from '../contract/provider.contract.js';
import { quietClaudeEnv, scriptedModelFor } from '../support/claude-harness.js';
import { codexModelFor } from '../support/codex-harness.js';
import { copilotCacheDir, copilotModelFor } from '../support/copilot-harness.js';
import { apiToken } from '../support/e2e-fixture.js';
import { geminiModelFor } from '../support/gemini-harness.js';
import { opencodeModelFor } from '../support/opencode-harness.js';
import { startScriptedAnthropic } from '../support/scripted-anthropic.js';
import { startScriptedGemini } from '../support/scripted-gemini.js';
import { startScriptedOpenAi } from '../support/scripted-openai.js';
import { collectEvents, postExecute, type ReceivedEvent } from '../support/sse-client.js';
import { startWorker, type WorkerProcess } from '../support/worker-process.js';

/** A scripted model API as one test sees it: a fresh script, and how many turns it answered. */
interface Model extends ScriptedModel {
  readonly url: string;
  close(): Promise<void>;
}

interface ProviderCase {
  id: string;
  token: string;
  /** A fresh scripted server speaking this provider's wire protocol. */
  model(): Promise<Model>;
  /** The worker's environment pointing the provider at `url`, the switch in front of the scripted servers. */
  env(url: string): Record<string, string>;
  /** A model the price list knows, for a provider that reports no cost (and opencode, whose own config has no prices). */
  pricedModel?: string;
  /**
   * Whether the CLI reports usage as the job goes. Codex (turn.completed), Gemini (the result
   * line) and Copilot (its --usage-output-file) tell tokens only once `exec`/the prompt is done.
   */
  usageMidJob: boolean;
}

const anthropic = async (): Promise<Model> => {
  const server = await startScriptedAnthropic();
  return { ...scriptedModelFor(server), url: server.url, close: () => server.close() };
};
const openai = (modelFor: typeof codexModelFor) => async (): Promise<Model> => {
  const server = await startScriptedOpenAi();
  return { ...modelFor(server), url: new URL(server.url).origin, close: () => server.close() };
};
const gemini = async (): Promise<Model> => {
  const server = await startScriptedGemini();
  return { ...geminiModelFor(server), url: new URL(server.url).origin, close: () => server.close() };
};

// Shaped like each provider's keys, with dots so that none can pass for a real one.
const providers: ProviderCase[] = [
  {
    id: 'claude-code',
    token: 'sk-ant-test.budgets.e2e.0123456789',
    model: anthropic,
    env: (url) => ({ ...quietClaudeEnv, ANTHROPIC_BASE_URL: url, CLAUDE_CODE_MAX_RETRIES: '0' }),
    pricedModel: 'claude-sonnet-4-5',
    usageMidJob: true,
  },
  {
    id: 'codex',
    token: 'sk-proj-test.budgets.e2e.0123456789',
    model: openai(codexModelFor),
    env: (url) => ({ CODEX_BASE_URL: `${url}/v1`, CODEX_MODEL: 'scripted-model', CODEX_MAX_RETRIES: '0' }),
    pricedModel: 'gpt-5.1-codex',
    usageMidJob: false,
  },
  {
    id: 'gemini',
    token: 'AIza-test.budgets.e2e.0123456789',
    model: gemini,
    // The init line names the model: the worker prices the tokens without being told.
    env: (url) => ({ GEMINI_BASE_URL: url, GEMINI_MODEL: 'gemini-2.5-pro', GEMINI_MAX_ATTEMPTS: '1' }),
    usageMidJob: false,
  },
  {
    id: 'opencode',
    token: 'sk-test.budgets.e2e.0123456789',
    model: openai(opencodeModelFor),
    env: (url) => ({ OPENCODE_BASE_URL: `${url}/v1`, OPENCODE_MODEL: 'scripted-model' }),
    pricedModel: 'gpt-4.1',
    usageMidJob: true,
  },
  {
    id: 'copilot',
    token: 'sk-test.copilot.budgets.0123456789',
    model: openai(copilotModelFor),
    env: (url) => ({ COPILOT_BASE_URL: `${url}/v1`, COPILOT_MODEL: 'scripted-model', COPILOT_CACHE_DIR: copilotCacheDir }),
    pricedModel: 'gpt-4.1',
    usageMidJob: false,
  },
];

/**
 * The longest loop a test scripts: the model asks for another write, again and again. Long
 * enough that a CLI which prints its items late (Copilot ran two more turns on a loaded CI
 * before the worker read the fourth) is still stopped well before its end.
 */
const loop = 12;

/**
 * A fixed address for the worker that forwards to each test's own scripted server, so that a
 * loop a budget cut short leaves nothing queued for the next test, and one worker serves them all.
 */
async function startSwitch(): Promise<{ url: string; to(target: string): void; close(): Promise<void> }> {
  let target = '';
  const server = createServer((req, res) => {
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    to: (url) => void (target = url),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type Events = Array<ReceivedEvent & { raw: string }>;
const itemsOf = (events: Events, kind: string) =>
  events.filter((event) => event.data.type === 'assistant_message' && (event.data.item as { kind: string }).kind === kind).map((event) => event.data.item as Record<string, unknown>);
const terminalOf = (events: Events) => events.filter((event) => event.data.type === 'completed' || event.data.type === 'error').map((event) => event.data);

for (const provider of providers) {
  describe(`${provider.id}: budgets stop a job where it is, with what it spent and a session to go on from`, () => {
    let worker: WorkerProcess;
    let front: Awaited<ReturnType<typeof startSwitch>>;
    let workspaceDir: string;
    let model: Model | undefined;

    beforeAll(async () => {
      workspaceDir = await realpath(await mkdtemp(join(tmpdir(), `uw-budgets-${provider.id}-`)));
      front = await startSwitch();
      worker = await startWorker({
        env: {
          WORKER_API_TOKEN: apiToken,
          HOST: '127.0.0.1',
          WORKSPACE_DIR: workspaceDir,
          EXIT_AFTER_JOB: 'false',
          DEFAULT_MAX_TURNS: '3',
          MAX_TURNS: '10',
          ...provider.env(front.url),
        },
      });
    });
    afterAll(async () => {
      await worker?.stop();
      await model?.close();
      await front?.close();
      await rm(workspaceDir, { recursive: true, force: true });
    });

    /** A fresh scripted model behind the switch, replacing the last test's. */
    const freshModel = async (): Promise<Model> => {
      await model?.close();
      model = await provider.model();
      front.to(model.url);
      return model;
    };
    const looping = (scripted: Model, writes = loop): void => {
      for (let n = 1; n <= writes; n += 1) scripted.answerWrite('loop.txt', `write ${n}\n`);
    };
    const execute = async (body: Record<string, unknown>): Promise<Events> =>
      collectEvents(
        await postExecute(
          worker.url,
          { userRequest: 'Keep writing loop.txt', codingAssistantProvider: provider.id, codingAssistantAccessToken: provider.token, ...body },
          { token: apiToken },
        ),
      );

    if (provider.id === 'claude-code') {
      it('a looping agent stops at the default turn cap: the CLI ends its turn itself, a completed job stopped by turns', async () => {
        looping(await freshModel());
        const events = await execute({ workspace: 'turns' });
        expect(terminalOf(events)).toEqual([expect.objectContaining({ type: 'completed', stopReason: 'turns', result: 'Reached maximum number of turns (3)' })]);
        // The model answered three times; the CLI's own num_turns (4 in 2.1.197) counts the turn it refused.
        expect(model!.turnSizes()).toHaveLength(3);
      });
    } else {
      it('a looping agent is stopped by the worker at the default turn cap: BUDGET_EXCEEDED turns', async () => {
        looping(await freshModel());
        const events = await execute({ workspace: 'turns' });
        const [terminal] = terminalOf(events);
        expect(terminal).toMatchObject({ type: 'error', code: 'BUDGET_EXCEEDED', retryable: false, budget: 'turns', limit: 3, used: 4 });
        expect(terminal?.sessionId).toEqual(expect.any(String));
        // The fourth answer is where the count crossed: the loop goes no further.
        expect(model!.turnSizes().length).toBeLessThan(loop);
      });
    }

    it(
      provider.usageMidJob
        ? 'a token cap crossed mid-job stops the loop there: BUDGET_EXCEEDED tokens, the usage so far in the event'
        : 'a token cap is judged when the CLI first reports usage, at the end of its run: BUDGET_EXCEEDED tokens then',
      async () => {
        const scripted = await freshModel();
        // Each scripted answer costs 101 (Anthropic) or 135 (OpenAI, Gemini) tokens: the second crosses 150.
        looping(scripted, provider.usageMidJob ? loop : 2);
        const events = await execute({ workspace: 'tokens', providerOptions: { maxTokens: 150, maxTurns: 10 } });
        const [terminal] = terminalOf(events);
        expect(terminal).toMatchObject({ type: 'error', code: 'BUDGET_EXCEEDED', retryable: false, budget: 'tokens', limit: 150 });
        expect(terminal?.used).toBeGreaterThan(150);
        expect(terminal?.usage).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
        if (provider.usageMidJob) {
          expect(scripted.turnSizes().length).toBeLessThan(loop);
          expect(itemsOf(events, 'tool_call').length).toBeLessThan(loop);
        } else {
          // The CLI ran its loop to its end (two writes, then its answer) before it told any tokens.
          expect(itemsOf(events, 'tool_result')).toHaveLength(2);
          expect(itemsOf(events, 'usage')).toHaveLength(1);
        }
      },
    );

    it(
      provider.usageMidJob ? 'a cost cap crossed mid-job stops the loop there: BUDGET_EXCEEDED cost' : 'a cost cap is judged on the usage the CLI reports at its end: BUDGET_EXCEEDED cost',
      async () => {
        const scripted = await freshModel();
        looping(scripted, provider.usageMidJob ? loop : 2);
        const options = { maxCostUsd: 0.0005, maxTurns: 10, ...(provider.pricedModel && { model: provider.pricedModel }) };
        const events = await execute({ workspace: 'cost', providerOptions: options });
        const [terminal] = terminalOf(events);
        expect(terminal).toMatchObject({ type: 'error', code: 'BUDGET_EXCEEDED', retryable: false, budget: 'cost', limit: 0.0005 });
        expect(terminal?.used).toBeGreaterThan(0.0005);
        // None of the scripted servers reports a price: the worker estimates it from the model's list price.
        expect(terminal?.usage).toMatchObject({ costUsd: expect.any(Number), costSource: 'estimated' });
        if (provider.usageMidJob) expect(scripted.turnSizes().length).toBeLessThan(loop);
        else expect(itemsOf(events, 'tool_result')).toHaveLength(2);
      },
    );

    if (provider.id === 'claude-code' || provider.id === 'codex') {
      it('a resume of the stopped session with a larger budget continues the same conversation', async () => {
        const scripted = await freshModel();
        looping(scripted);
        // Mid-job for Claude Code (tokens), by the worker's turn count for Codex (its tokens come at the end).
        const stopped = await execute({ workspace: 'resume', providerOptions: provider.usageMidJob ? { maxTokens: 150 } : {} });
        const [terminal] = terminalOf(stopped);
        expect(terminal).toMatchObject({ type: 'error', code: 'BUDGET_EXCEEDED' });
        const before = scripted.turnSizes();

        const next = await freshModel();
        next.answerText('carried on');
        const resumed = await execute({
          workspace: 'resume',
          userRequest: 'go on',
          resumeSessionId: terminal!.sessionId,
          providerOptions: { maxTurns: 10, maxTokens: 100_000 },
        });
        expect(terminalOf(resumed)).toEqual([expect.objectContaining({ type: 'completed', sessionId: terminal!.sessionId, result: 'carried on' })]);
        // The first request of the resumed run carries the stopped run's turns, and the new prompt.
        expect(next.turnSizes()[0]).toBeGreaterThan(before.at(-1)!);
      });
    }
  });
}

describe('budgets a request may not ask for', () => {
  let worker: WorkerProcess;
  let workspaceDir: string;
  beforeAll(async () => {
    workspaceDir = await realpath(await mkdtemp(join(tmpdir(), 'uw-budgets-input-')));
    worker = await startWorker({
      env: { WORKER_API_TOKEN: apiToken, HOST: '127.0.0.1', WORKSPACE_DIR: workspaceDir, EXIT_AFTER_JOB: 'false', DEFAULT_MAX_TURNS: '3', MAX_TURNS: '10', MAX_TOKENS: '100000' },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await rm(workspaceDir, { recursive: true, force: true });
  });

  it.each([
    ['a negative maxTurns', { maxTurns: -1 }, 'providerOptions.maxTurns'],
    ['a zero maxTurns', { maxTurns: 0 }, 'providerOptions.maxTurns'],
    ['a non-numeric maxTurns', { maxTurns: 'ten' }, 'providerOptions.maxTurns'],
    ['maxTurns over the worker ceiling (MAX_TURNS=10)', { maxTurns: 11 }, 'providerOptions.maxTurns'],
    ['a negative maxCostUsd', { maxCostUsd: -0.5 }, 'providerOptions.maxCostUsd'],
    ['a zero maxCostUsd', { maxCostUsd: 0 }, 'providerOptions.maxCostUsd'],
    ['a non-numeric maxCostUsd', { maxCostUsd: '1.00' }, 'providerOptions.maxCostUsd'],
    ['a negative maxTokens', { maxTokens: -100 }, 'providerOptions.maxTokens'],
    ['a zero maxTokens', { maxTokens: 0 }, 'providerOptions.maxTokens'],
    ['a non-numeric maxTokens', { maxTokens: null }, 'providerOptions.maxTokens'],
    ['maxTokens over the worker ceiling (MAX_TOKENS=100000)', { maxTokens: 100_001 }, 'providerOptions.maxTokens'],
  ])('400 VALIDATION_FAILED for %s, naming the field', async (_name, providerOptions, path) => {
    const response = await postExecute(
      worker.url,
      { userRequest: 'x', codingAssistantProvider: 'claude-code', codingAssistantAccessToken: 'sk-ant-test.budgets.e2e.0123456789', providerOptions },
      { token: apiToken },
    );
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues.map((issue) => issue.path)).toContain(path);
  });
});
