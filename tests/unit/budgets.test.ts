import { describe, expect, it } from 'vitest';
import { ExecutionUseCase } from '../../src/application/execution.use-case.js';
import { JobSlot } from '../../src/application/job-slot.js';
import type { ProviderEvent, ProviderRun } from '../../src/application/ports/provider.port.js';
import { loadConfig } from '../../src/infrastructure/config.js';
import { aborted, CollectingSink, inMemoryDeps, jobRequest, ScriptedProvider } from '../support/in-memory.js';

/** An agent that never stops calling tools, with the usage so far after each answer. */
function loopingAgent(usagePerTurn = { inputTokens: 1000, outputTokens: 100 }, model = 'priced-model') {
  return async function* (_run: ProviderRun, signal: AbortSignal): AsyncGenerator<ProviderEvent> {
    yield { type: 'item', item: { kind: 'session', sessionId: 's-loop', model } };
    for (let turn = 1; ; turn++) {
      yield { type: 'item', item: { kind: 'tool_call', id: `t${turn}`, name: 'Bash', input: { command: 'ls' } } };
      // Stopped, a CLI is killed before it runs the tool.
      if (signal.aborted) {
        await aborted(signal);
        throw signal.reason;
      }
      yield { type: 'item', item: { kind: 'tool_result', id: `t${turn}`, ok: true, output: '' } };
      yield { type: 'item', item: { kind: 'usage', inputTokens: usagePerTurn.inputTokens * turn, outputTokens: usagePerTurn.outputTokens * turn } };
    }
  };
}

async function run(provider: ScriptedProvider, request = jobRequest(), budgets = { defaults: {}, ceilings: {} }) {
  const deps = inMemoryDeps(provider);
  deps.settings = { ...deps.settings, budgets };
  const sink = new CollectingSink();
  await new ExecutionUseCase(deps).execute(request, sink, new JobSlot().tryAcquire()!);
  return sink;
}

describe('budgets', () => {
  it('stops a looping agent at the worker default turn cap: BUDGET_EXCEEDED, not retryable, with the session and usage', async () => {
    const sink = await run(new ScriptedProvider(loopingAgent()), jobRequest(), { defaults: { maxTurns: 3 }, ceilings: {} });
    const end = sink.events.at(-1)!;
    expect(end).toMatchObject({ type: 'error', code: 'BUDGET_EXCEEDED', retryable: false, budget: 'turns', limit: 3, used: 4, sessionId: 's-loop' });
    expect(end).toMatchObject({ usage: { inputTokens: 3000, outputTokens: 300 } });
    const calls = sink.events.filter((event) => event.type === 'assistant_message' && event.item.kind === 'tool_call');
    expect(calls).toHaveLength(4);
  });

  it("takes the request's budget over the default", async () => {
    const sink = await run(new ScriptedProvider(loopingAgent()), jobRequest({ budget: { maxTurns: 1 } }), { defaults: { maxTurns: 50 }, ceilings: {} });
    expect(sink.events.at(-1)).toMatchObject({ code: 'BUDGET_EXCEEDED', budget: 'turns', limit: 1, used: 2 });
  });

  it('stops at a token cap from the usage as it arrives', async () => {
    const sink = await run(new ScriptedProvider(loopingAgent()), jobRequest({ budget: { maxTokens: 2500 } }));
    expect(sink.events.at(-1)).toMatchObject({ code: 'BUDGET_EXCEEDED', budget: 'tokens', limit: 2500, used: 3300, retryable: false });
  });

  it('prices usage the provider did not, says it is estimated, and stops at a cost cap', async () => {
    // The in-memory price list charges a dollar a million tokens for priced-model.
    const sink = await run(new ScriptedProvider(loopingAgent({ inputTokens: 100_000, outputTokens: 10_000 })), jobRequest({ budget: { maxCostUsd: 0.25 } }));
    const usages = sink.events.flatMap((event) => (event.type === 'assistant_message' && event.item.kind === 'usage' ? [event.item] : []));
    expect(usages[0]).toMatchObject({ costUsd: 0.11, costSource: 'estimated' });
    expect(sink.events.at(-1)).toMatchObject({ code: 'BUDGET_EXCEEDED', budget: 'cost', limit: 0.25, used: 0.33, usage: { costUsd: 0.33, costSource: 'estimated' } });
  });

  it('leaves a model it has no price for unpriced, and a cost cap then cannot stop the job', async () => {
    const provider = new ScriptedProvider(async function* () {
      yield { type: 'item', item: { kind: 'session', sessionId: 's-1', model: 'unknown-model' } };
      yield { type: 'item', item: { kind: 'usage', inputTokens: 10_000_000, outputTokens: 1 } };
      yield { type: 'finished', outcome: { sessionId: 's-1', result: 'done', numTurns: 1, usage: { inputTokens: 10_000_000, outputTokens: 1 } } };
    });
    const sink = await run(provider, jobRequest({ budget: { maxCostUsd: 0.01 } }));
    expect(sink.events.at(-1)).toMatchObject({ type: 'completed', stopReason: 'finished', usage: { inputTokens: 10_000_000 } });
    expect(sink.events.at(-1)).not.toHaveProperty('usage.costUsd');
  });

  it("hands the turn budget to a CLI that stops at it itself, and says so in completed's stopReason", async () => {
    const provider = new ScriptedProvider(async function* (run) {
      yield { type: 'item', item: { kind: 'session', sessionId: 's-1', model: 'm' } };
      for (let turn = 1; turn <= run.maxTurns!; turn++) {
        yield { type: 'item', item: { kind: 'tool_call', id: `t${turn}`, name: 'Bash', input: {} } };
        yield { type: 'item', item: { kind: 'tool_result', id: `t${turn}`, ok: true, output: '' } };
      }
      yield { type: 'finished', outcome: { sessionId: 's-1', result: '', numTurns: run.maxTurns!, usage: { inputTokens: 1, outputTokens: 1, costUsd: 0.01 }, stopReason: 'turns' } };
    });
    Object.assign(provider, { capabilities: { ...provider.capabilities, nativeMaxTurns: true } });
    const sink = await run(provider, jobRequest({ budget: { maxTurns: 2 } }));
    expect(provider.runs[0]!.maxTurns).toBe(2);
    expect(sink.events.at(-1)).toMatchObject({ type: 'completed', stopReason: 'turns', numTurns: 2, usage: { costUsd: 0.01 } });
  });

  it('ends a job that simply finished with stopReason finished and its cost', async () => {
    const provider = new ScriptedProvider(async function* () {
      yield { type: 'item', item: { kind: 'session', sessionId: 's-1', model: 'priced-model' } };
      yield { type: 'item', item: { kind: 'text', text: 'hi' } };
      yield { type: 'finished', outcome: { sessionId: 's-1', result: 'hi', numTurns: 1, usage: { inputTokens: 900_000, outputTokens: 100_000 } } };
    });
    const sink = await run(provider, jobRequest(), { defaults: { maxTurns: 1 }, ceilings: {} });
    expect(sink.events.at(-1)).toMatchObject({ type: 'completed', stopReason: 'finished', usage: { costUsd: 1, costSource: 'estimated' } });
  });
});

describe('budget ceilings and defaults', () => {
  const clis = { claude: { executable: 'claude' }, codex: { executable: 'codex' }, gemini: { executable: 'gemini' }, opencode: { executable: 'opencode' }, copilot: { executable: 'copilot' } };
  const config = (env: Record<string, string>) => loadConfig({ WORKER_API_TOKEN: 'a'.repeat(24), ...env }, { cwd: '/tmp', version: 'test', clis });

  it('refuses a request over a ceiling with 400 naming the field and the ceiling', () => {
    const deps = inMemoryDeps(new ScriptedProvider(loopingAgent()));
    deps.settings = { ...deps.settings, budgets: { defaults: {}, ceilings: { maxTurns: 10, maxCostUsd: 2, maxTokens: 50_000 } } };
    const admitted = new ExecutionUseCase(deps).admit(jobRequest({ budget: { maxTurns: 11, maxCostUsd: 2.5, maxTokens: 50_000 } }));
    expect(admitted.ok).toBe(false);
    const issues = !admitted.ok ? admitted.error.issues : [];
    expect(issues).toEqual([
      { path: 'providerOptions.maxTurns', message: "must be at most 10, this worker's ceiling" },
      { path: 'providerOptions.maxCostUsd', message: "must be at most 2, this worker's ceiling" },
    ]);
  });

  it('reads the defaults and ceilings from the environment, and refuses a default over its ceiling', () => {
    expect(config({}).budgets).toEqual({ defaults: { maxTurns: 100 }, ceilings: { maxTurns: 500 } });
    expect(config({ DEFAULT_MAX_COST_USD: '0.5', MAX_COST_USD: '5', MAX_TOKENS: '1000000' }).budgets).toMatchObject({
      defaults: { maxTurns: 100, maxCostUsd: 0.5 },
      ceilings: { maxTurns: 500, maxCostUsd: 5, maxTokens: 1_000_000 },
    });
    expect(config({ MAX_TURNS: '50' }).budgets.defaults.maxTurns).toBe(50);
    expect(() => config({ DEFAULT_MAX_TURNS: '600' })).toThrow('DEFAULT_MAX_TURNS: must not exceed MAX_TURNS');
    expect(() => config({ MAX_COST_USD: '-1' })).toThrow(/MAX_COST_USD/);
  });
});

describe('the price list, loaded only when a figure needs it', () => {
  it('leaves usage items unpriced without a cost budget, and prices the total the CLI did not', async () => {
    const asked: string[] = [];
    const provider = new ScriptedProvider(async function* () {
      yield { type: 'item', item: { kind: 'session', sessionId: 's-1', model: 'priced-model' } };
      yield { type: 'item', item: { kind: 'usage', inputTokens: 500_000, outputTokens: 0 } };
      yield { type: 'finished', outcome: { sessionId: 's-1', result: 'ok', numTurns: 1, usage: { inputTokens: 1_000_000, outputTokens: 0 } } };
    });
    const deps = inMemoryDeps(provider);
    const prices = deps.prices;
    deps.prices = { costUsd: async (model, usage) => (asked.push(model), prices.costUsd(model, usage)) };
    const sink = new CollectingSink();
    await new ExecutionUseCase(deps).execute(jobRequest(), sink, new JobSlot().tryAcquire()!);
    const usage = sink.events.find((event) => event.type === 'assistant_message' && event.item.kind === 'usage');
    expect(usage).not.toHaveProperty('item.costUsd');
    expect(sink.events.at(-1)).toMatchObject({ type: 'completed', usage: { costUsd: 1, costSource: 'estimated' } });
    expect(asked).toEqual(['priced-model']);
  });
});
