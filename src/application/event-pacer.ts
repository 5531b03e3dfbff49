import { coalesce } from '../domain/coalesce.js';
import type { JobEventBody } from '../domain/job-event.js';

export interface PacerSettings {
  /** At most this many events in any second; 0 lets every event through at once. */
  perSecond: number;
  /** The longest text a merged item may reach. */
  maxItemChars: number;
}

interface Waiting {
  body: JobEventBody;
  admitted: () => void;
}

const windowMs = 1000;

/**
 * Holds a job's events to at most `perSecond` in any one-second window. Events over the limit
 * wait, in order, in a short queue where consecutive texts (and thoughts) merge into one event;
 * once that queue is full, whoever emits waits, which holds the provider's output back.
 * A lone event under the limit goes out at once.
 */
export class EventPacer {
  readonly #settings: PacerSettings;
  /** Sends an event, with the time it was let go: the event's own timestamp. */
  readonly #send: (body: JobEventBody, at: number) => Promise<void> | undefined;
  readonly #now: () => number;
  readonly #capacity: number;
  /** When each of the last `perSecond` events went out: a ring, oldest at #oldest. */
  readonly #sentAt: Float64Array;
  #sent = 0;
  #oldest = 0;
  #held: JobEventBody[] = [];
  #waiting: Waiting[] = [];
  #draining: Promise<void> | undefined;
  /** Why a held event could not be sent: the next push answers with it, not a lost rejection. */
  #failure: { error: unknown } | undefined;
  #merged = 0;

  constructor(settings: PacerSettings, send: (body: JobEventBody, at: number) => Promise<void> | undefined, now: () => number) {
    this.#settings = settings;
    this.#send = send;
    this.#now = now;
    this.#sentAt = new Float64Array(Math.max(settings.perSecond, 1));
    // A tenth of a second's worth, at most 16: enough to merge a burst, little to send at the end.
    this.#capacity = Math.min(16, Math.max(1, Math.floor(settings.perSecond / 10)));
  }

  /** How many events were merged into the one before them. */
  get merged(): number {
    return this.#merged;
  }

  /**
   * Sends or holds the event. Returns a promise only when the emitter must wait: the queue is
   * full, or the send itself waits for the client.
   */
  push(body: JobEventBody): Promise<void> | undefined {
    if (this.#failure) return Promise.reject(this.#failure.error);
    if (this.#settings.perSecond === 0) return this.#send(body, this.#now());
    if (!this.#draining && this.#held.length === 0 && this.#delay() === 0) {
      return this.#send(body, this.#stamp());
    }
    if (this.#waiting.length === 0 && this.#hold(body)) {
      this.#draining ??= this.#drain();
      return undefined;
    }
    return new Promise((admitted) => this.#waiting.push({ body, admitted }));
  }

  /** Resolves when every held event has gone out, at the pace of the limit; rejects when one could not. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    if (this.#failure) throw this.#failure.error;
  }

  /** Merges into the last held event, or takes a place in the queue; false when it is full. */
  #hold(body: JobEventBody): boolean {
    const last = this.#held.at(-1);
    const merged = last && coalesce(last, body, this.#settings.maxItemChars);
    if (merged) {
      this.#held[this.#held.length - 1] = merged;
      this.#merged += 1;
    } else if (this.#held.length < this.#capacity) {
      this.#held.push(body);
    } else {
      return false;
    }
    return true;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#held.length > 0) {
        // A timer may fire a millisecond before the wall clock says it is due: check again.
        for (let delay = this.#delay(); delay > 0; delay = this.#delay()) await new Promise((resolve) => setTimeout(resolve, delay));
        const body = this.#held.shift()!;
        this.#admit();
        await this.#send(body, this.#stamp());
      }
    } catch (error) {
      this.#failure = { error };
      this.#held = [];
      for (const waiting of this.#waiting.splice(0)) waiting.admitted();
    } finally {
      this.#draining = undefined;
    }
  }

  /** Lets waiting emitters into the queue, first come first served. */
  #admit(): void {
    while (this.#waiting.length > 0 && this.#hold(this.#waiting[0]!.body)) this.#waiting.shift()!.admitted();
  }

  /** Milliseconds until one more event fits in the window. */
  #delay(): number {
    if (this.#sent < this.#sentAt.length) return 0;
    return Math.max(0, this.#sentAt[this.#oldest]! + windowMs - this.#now());
  }

  /** Counts an event as sent now; returns now. */
  #stamp(): number {
    const now = this.#now();
    if (this.#sent < this.#sentAt.length) {
      this.#sentAt[this.#sent++] = now;
      return now;
    }
    this.#sentAt[this.#oldest] = now;
    this.#oldest = (this.#oldest + 1) % this.#sentAt.length;
    return now;
  }
}
