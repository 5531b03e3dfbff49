import type { AgentItem, Usage } from './agent-item.js';
import { DomainError } from './errors.js';

/** What a job may spend; every budget works for every provider. */
export const budgetKinds = ['turns', 'cost', 'tokens', 'time', 'silence'] as const;
export type BudgetKind = (typeof budgetKinds)[number];

/** The budget an error stopped a job at, if it was one. */
export const budgetOf = (error: DomainError): BudgetKind | undefined => budgetKinds.find((kind) => kind === error.details.budget);

/** Why a job stopped: the assistant finished, or a budget it could stop gracefully at. */
export type StopReason = 'finished' | BudgetKind;

/** The limits a job runs under; an absent one is no limit. */
export interface JobBudget {
  maxTurns?: number;
  maxCostUsd?: number;
  maxTokens?: number;
}

/** What a terminal event says of a budget that was crossed. */
export interface BudgetCrossing {
  budget: BudgetKind;
  limit: number;
  used: number;
}

/** The error that ends a job over one of its budgets: a retry would hit the same wall. */
export function budgetExceeded(crossing: BudgetCrossing): DomainError {
  const unit = { turns: ' turns', cost: ' USD', tokens: ' tokens', time: ' ms', silence: ' ms of silence' }[crossing.budget];
  return new DomainError('BUDGET_EXCEEDED', `the job used ${crossing.used}${unit}, over its ${crossing.budget} budget of ${crossing.limit}`, {
    details: { ...crossing },
  });
}

/**
 * Counts what a job spends from its normalized items, the same for every provider: a turn is
 * one answer of the model (its first item after the prompt or after tool results), tokens and
 * cost are the latest usage (a usage item is the job's usage so far).
 */
export class BudgetMeter {
  #turns = 0;
  #inTurn = false;
  #usage: Usage = { inputTokens: 0, outputTokens: 0 };

  constructor(
    private readonly budget: JobBudget,
    /** Turns the provider's CLI stops at itself, gracefully: the meter leaves them to it. */
    private readonly nativeTurns: boolean,
  ) {}

  get turns(): number {
    return this.#turns;
  }

  /** Takes the next item; the budget it crosses, if any. */
  add(item: AgentItem): BudgetCrossing | undefined {
    switch (item.kind) {
      case 'text':
      case 'thinking':
      case 'tool_call':
        if (!this.#inTurn) {
          this.#inTurn = true;
          this.#turns += 1;
        }
        break;
      case 'tool_result':
        this.#inTurn = false;
        break;
      case 'usage':
        this.#usage = item;
        break;
      case 'session':
        break;
    }
    return this.crossed();
  }

  crossed(): BudgetCrossing | undefined {
    const { maxTurns, maxTokens, maxCostUsd } = this.budget;
    if (maxTurns !== undefined && !this.nativeTurns && this.#turns > maxTurns) return { budget: 'turns', limit: maxTurns, used: this.#turns };
    const tokens = this.#usage.inputTokens + this.#usage.outputTokens;
    if (maxTokens !== undefined && tokens > maxTokens) return { budget: 'tokens', limit: maxTokens, used: tokens };
    const cost = this.#usage.costUsd;
    if (maxCostUsd !== undefined && cost !== undefined && cost > maxCostUsd) return { budget: 'cost', limit: maxCostUsd, used: roundUsd(cost) };
    return undefined;
  }
}

/** Cost figures to a hundredth of a cent's hundredth: enough for a budget, no float noise. */
export const roundUsd = (usd: number): number => Math.round(usd * 1e6) / 1e6;
