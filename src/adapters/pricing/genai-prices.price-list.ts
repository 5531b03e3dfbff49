import type { PriceListPort } from '../../application/ports/price-list.port.js';
import type { Usage } from '../../domain/agent-item.js';

import { createRequire } from 'node:module';

type GenaiPrices = typeof import('@pydantic/genai-prices');

// Some CLIs name models as provider/model (opencode); the price list knows some providers by other names.
const providerAliases: Record<string, string> = { 'google-vertex': 'google', 'amazon-bedrock': 'aws' };

/**
 * Prices from @pydantic/genai-prices: a maintained table of every major provider's models,
 * bundled with the package (nothing is fetched), loaded on first use since it takes a third of
 * a second to load and most jobs never need it.
 */
export class GenaiPriceList implements PriceListPort {
  #prices: GenaiPrices | undefined;

  async costUsd(model: string, usage: Usage): Promise<number | undefined> {
    // require, not import(): the bundled worker runs as a vm script, where import() is not available.
    const { calcPrice } = (this.#prices ??= createRequire(import.meta.url)('@pydantic/genai-prices') as GenaiPrices);
    // The job's tokens are the sum of many requests, and long-context prices (over 200k input)
    // apply per request: price a share below that tier and scale it back up.
    const shares = Math.max(1, Math.ceil(usage.inputTokens / 100_000));
    const share = {
      input_tokens: usage.inputTokens / shares,
      output_tokens: usage.outputTokens / shares,
      cache_read_tokens: (usage.cacheReadTokens ?? 0) / shares,
      cache_write_tokens: (usage.cacheWriteTokens ?? 0) / shares,
    };
    const slash = model.indexOf('/');
    const attempts: Array<[string, string | undefined]> =
      slash > 0
        ? [[model.slice(slash + 1), providerAliases[model.slice(0, slash)] ?? model.slice(0, slash)], [model.slice(slash + 1), undefined]]
        : [[model, undefined]];
    for (const [id, providerId] of attempts) {
      try {
        const price = calcPrice(share, id, providerId ? { providerId } : undefined);
        if (price) return price.total_price * shares;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}
