import type { DomainError } from '../domain/errors.js';

export interface RunningJob {
  jobId: string;
  provider: string;
  startedAt: number;
}

/** The right to run the worker's one job; the holder must release it. */
export interface JobLease {
  readonly signal: AbortSignal;
  describe(job: RunningJob): void;
  /** Ends the job with `reason` (a DomainError: CANCELLED, WORKER_SHUTDOWN ...). */
  abort(reason: DomainError): void;
  release(): void;
}

/** Why a request for a job is turned away: a job runs now, or this worker will take none again. */
export type Refusal = 'busy' | 'retiring';

/**
 * One job at a time. tryAcquire() is synchronous, so of N requests that arrive together
 * exactly one wins, whatever the interleaving of their async work.
 */
export class JobSlot {
  #current: { controller: AbortController; job?: RunningJob } | undefined;
  #idleListeners: Array<() => void> = [];
  #releaseListeners: Array<() => void> = [];
  #acquireListeners: Array<() => void> = [];
  #spent = false;
  #closed = false;

  /** singleUse: an ephemeral worker takes one job in its life, then refuses every other until it exits. */
  constructor(private readonly options: { singleUse: boolean } = { singleUse: false }) {}

  /** True once no job will ever be accepted again (shutting down, or a spent single-use slot). */
  get closed(): boolean {
    return this.#closed || this.#spent;
  }

  close(): void {
    this.#closed = true;
  }

  /** Called when a job takes the slot. */
  onAcquire(listener: () => void): void {
    this.#acquireListeners.push(listener);
  }

  /** Called after every job's release. */
  onRelease(listener: () => void): void {
    this.#releaseListeners.push(listener);
  }

  get busy(): boolean {
    return this.#current !== undefined || this.closed;
  }

  get current(): RunningJob | undefined {
    return this.#current?.job;
  }

  /** True once this worker will take no job again and runs none: it is draining, or its one job is over. */
  get retiring(): boolean {
    const live = this.#current !== undefined && !this.#current.controller.signal.aborted;
    return this.#closed || (this.#spent && !live);
  }

  /**
   * Why a job would be refused now, if it would: 'busy' (429) while a job runs, 'retiring'
   * (503, which a load balancer retries on another worker) once no job will be taken again.
   */
  refusal(): Refusal | undefined {
    if (this.retiring) return 'retiring';
    return this.#current ? 'busy' : undefined;
  }

  tryAcquire(): JobLease | undefined {
    if (this.busy) return undefined;
    if (this.options.singleUse) this.#spent = true;
    const holder: { controller: AbortController; job?: RunningJob } = { controller: new AbortController() };
    this.#current = holder;
    for (const listener of this.#acquireListeners) listener();
    let released = false;
    return {
      signal: holder.controller.signal,
      describe: (job) => {
        holder.job = job;
      },
      abort: (reason) => {
        if (!holder.controller.signal.aborted) holder.controller.abort(reason);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#current = undefined;
        for (const listener of this.#idleListeners.splice(0)) listener();
        for (const listener of this.#releaseListeners) listener();
      },
    };
  }

  /** Ends the running job with `reason`; false when there is none. */
  abort(reason: DomainError): boolean {
    if (!this.#current || this.#current.controller.signal.aborted) return false;
    this.#current.controller.abort(reason);
    return true;
  }

  whenIdle(): Promise<void> {
    if (!this.#current) return Promise.resolve();
    return new Promise((resolve) => this.#idleListeners.push(resolve));
  }
}
