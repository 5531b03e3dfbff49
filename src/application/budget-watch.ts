import type { AgentItem, Usage } from '../domain/agent-item.js';
import { BudgetMeter, budgetExceeded, roundUsd, type JobBudget } from '../domain/budget.js';
import type { PriceListPort } from './ports/price-list.port.js';

/**
 * Watches a job's items against its budgets: prices usage the provider did not, counts turns,
 * tokens and cost, and aborts `signal` with BUDGET_EXCEEDED the moment one is crossed.
 */
export class BudgetWatch {
  readonly #controller = new AbortController();
  readonly #meter: BudgetMeter;
  #model: string | undefined;

  constructor(
    readonly budget: JobBudget,
    nativeTurns: boolean,
    private readonly prices: PriceListPort,
    /** The request's model, until the assistant names the one it runs. */
    model: string | undefined,
  ) {
    this.#meter = new BudgetMeter(budget, nativeTurns);
    this.#model = model;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * A usage item on its way: priced only when a cost budget needs it. Loading the price list
   * costs ~150 ms of CPU, more than the rest of a job, and the CLI may report the cost at its end.
   */
  async pricedSoFar<T extends Usage>(usage: T): Promise<T> {
    return this.budget.maxCostUsd === undefined ? usage : this.priced(usage);
  }

  /** Usage with its cost: the provider's, else the model's list price for its tokens. */
  async priced<T extends Usage>(usage: T): Promise<T> {
    if (usage.costUsd !== undefined || !this.#model) return usage;
    // An estimate is a convenience: a price list that fails leaves the usage unpriced, never the job failed.
    const cost = await this.prices.costUsd(this.#model, usage).catch(() => undefined);
    return cost === undefined ? usage : { ...usage, costUsd: roundUsd(cost), costSource: 'estimated' };
  }

  /** Counts an item on its way to the client; over a budget, the job is stopped. */
  observe(item: AgentItem): void {
    if (item.kind === 'session' && item.model) this.#model = item.model;
    const crossing = this.#meter.add(item);
    if (crossing && !this.#controller.signal.aborted) this.#controller.abort(budgetExceeded(crossing));
  }
}
