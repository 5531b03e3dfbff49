import { DomainError } from '../domain/errors.js';
import type { ProviderAvailability, ProviderPort } from './ports/provider.port.js';

/** The providers this worker can run, by id. */
export class ProviderRegistry {
  readonly #providers: ReadonlyMap<string, ProviderPort>;

  constructor(providers: readonly ProviderPort[]) {
    this.#providers = new Map(providers.map((provider) => [provider.id, provider]));
  }

  get ids(): string[] {
    return [...this.#providers.keys()];
  }

  has(id: string): boolean {
    return this.#providers.has(id);
  }

  /** Every provider and whether its CLI is installed here: what GET /health reports. */
  availability(): Array<{ id: string } & ProviderAvailability> {
    return [...this.#providers.values()].map((provider) => ({ id: provider.id, ...provider.availability() }));
  }

  get(id: string): ProviderPort {
    const provider = this.#providers.get(id);
    if (!provider) throw new DomainError('VALIDATION_FAILED', `unknown provider ${id}`);
    return provider;
  }
}
