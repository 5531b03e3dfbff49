/**
 * Whether a load balancer should send this worker jobs, and proof that it has heard otherwise.
 * A one-job worker leaves the rotation before its job's verdict is sent: a balancer that frees
 * the worker's slot when the response ends must already see it as down, or it hands the next
 * queued request to a worker that is about to exit.
 */
export class Readiness {
  #withdrawn = false;
  #heard = false;
  #listeners: Array<() => void> = [];

  constructor(private readonly accepting: () => boolean) {}

  get ready(): boolean {
    return !this.#withdrawn && this.accepting();
  }

  /** Answers a readiness probe; a 'not ready' answer counts as heard. */
  probe(): boolean {
    const ready = this.ready;
    if (!ready && this.#withdrawn) {
      this.#heard = true;
      for (const listener of this.#listeners.splice(0)) listener();
    }
    return ready;
  }

  /** Leaves the rotation for good. */
  withdraw(): void {
    this.#withdrawn = true;
  }

  /** Resolves once a probe has been answered 'not ready' since withdraw(), or after waitMs. */
  heard(waitMs: number): Promise<void> {
    if (this.#heard || waitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#listeners.push(done);
    });
  }
}
