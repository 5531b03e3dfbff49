import { describe, expect, it } from 'vitest';
import { GenaiPriceList } from '../../src/adapters/pricing/index.js';
import type { PriceListPort } from '../../src/application/ports/price-list.port.js';

// One suite per port, run against every adapter of it.
const adapters: Array<[string, () => PriceListPort]> = [['@pydantic/genai-prices', () => new GenaiPriceList()]];

describe.each(adapters)('the price list (%s)', (_name, create) => {
  const prices = create();
  const usd = async (model: string, inputTokens: number, outputTokens: number) => prices.costUsd(model, { inputTokens, outputTokens });

  it('prices the models the providers run at their list price, dated and prefixed ids included', async () => {
    // Sonnet 4.5: $3 in, $15 out per million tokens; gpt-5.1 (codex): $1.25 / $10; Gemini 2.5 Pro: $1.25 / $10.
    expect(await usd('claude-sonnet-4-5-20250929', 1_000_000, 100_000)).toBeCloseTo(4.5, 6);
    expect(await usd('anthropic/claude-sonnet-4-5', 1_000_000, 100_000)).toBeCloseTo(4.5, 6);
    expect(await usd('gpt-5.1-codex', 1_000_000, 100_000)).toBeCloseTo(2.25, 6);
    expect(await usd('gemini-2.5-pro', 100_000, 10_000)).toBeCloseTo(0.225, 6);
  });

  it('prices cache reads and writes at their own rates', async () => {
    // 30k plain input at $3, 60k cache reads at $0.30, 10k cache writes at $3.75, 20k output at $15 (per million).
    const cost = await prices.costUsd('claude-sonnet-4-5', { inputTokens: 100_000, outputTokens: 20_000, cacheReadTokens: 60_000, cacheWriteTokens: 10_000 });
    expect(cost).toBeCloseTo(0.4455, 6);
  });

  it('prices a long job of many requests at the per-request rate, not the long-context one', async () => {
    // 1.2M input tokens over several requests: every one under 200k, so $3 a million, not $6.
    expect(await usd('claude-sonnet-4-5', 1_200_000, 0)).toBeCloseTo(3.6, 6);
  });

  it('knows nothing of a model it has no price for', async () => {
    expect(await usd('no-such-model-x', 1000, 1000)).toBeUndefined();
    expect(await usd('nobody/no-such-model-x', 1000, 1000)).toBeUndefined();
  });
});
