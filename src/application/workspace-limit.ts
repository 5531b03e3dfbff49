import { DomainError } from '../domain/errors.js';
import type { WorkspacePort } from './ports/workspace.port.js';

export interface WorkspaceLimitSettings {
  /** Bytes a job's workspace may take on disk; 0 for no limit. */
  maxBytes: number;
  /** How often a running job's workspace is measured. */
  checkMs: number;
}

/**
 * Stops a job whose workspace outgrows its limit: measured after the checkout, then every few
 * seconds while the assistant runs. Its signal aborts with WORKSPACE_TOO_LARGE.
 */
export class WorkspaceLimit {
  readonly #controller = new AbortController();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly workspace: WorkspacePort,
    private readonly settings: WorkspaceLimitSettings,
  ) {}

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Throws WORKSPACE_TOO_LARGE when `dir` is already over the limit. */
  async check(dir: string): Promise<void> {
    const error = await this.#measure(dir);
    if (error) throw error;
  }

  watch(dir: string): void {
    if (this.settings.maxBytes <= 0 || this.#timer) return;
    let measuring = false;
    this.#timer = setInterval(() => {
      if (measuring) return;
      measuring = true;
      void this.#measure(dir)
        .then((error) => {
          if (error) this.#controller.abort(error);
        })
        .finally(() => {
          measuring = false;
        });
    }, this.settings.checkMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #measure(dir: string): Promise<DomainError | undefined> {
    if (this.settings.maxBytes <= 0) return undefined;
    const bytes = await this.workspace.usage(dir).catch(() => 0);
    if (bytes <= this.settings.maxBytes) return undefined;
    const mib = (n: number) => Math.ceil(n / 1024 / 1024);
    return new DomainError('WORKSPACE_TOO_LARGE', `the workspace takes ${mib(bytes)} MiB, more than the ${mib(this.settings.maxBytes)} MiB allowed`, {
      retryable: false,
    });
  }
}
