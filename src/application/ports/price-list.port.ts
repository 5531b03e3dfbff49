import type { Usage } from '../../domain/agent-item.js';

/** Models' list prices, for the providers whose CLI reports tokens but no cost. */
export interface PriceListPort {
  /** What these tokens cost on this model at list price, in USD; undefined for a model it does not know. */
  costUsd(model: string, usage: Usage): Promise<number | undefined>;
}
