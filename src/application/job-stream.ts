import type { JobEvent, JobEventBody } from '../domain/job-event.js';
import { isTerminal } from '../domain/job-event.js';
import type { Redactor } from '../domain/redactor.js';
import { EventPacer, type PacerSettings } from './event-pacer.js';
import type { ClockPort } from './ports/clock.port.js';
import type { EventSinkPort } from './ports/event-sink.port.js';
import type { JobRecorder } from './ports/persistence.port.js';

/**
 * A job's event stream: paces events (merging texts over the limit), numbers them from 0
 * without gaps, stamps them, masks secrets, records them and hands them to the client's sink.
 * Nothing follows the terminal event, which waits for every event before it.
 */
export class JobStream {
  #seq = 0;
  #ended = false;
  readonly #pacer: EventPacer;

  constructor(
    private readonly jobId: string,
    private readonly sink: EventSinkPort,
    private readonly recorder: JobRecorder,
    /** Keeps the events for readers who join later. */
    private readonly journal: { record(event: JobEvent, json: string): Promise<void> | undefined },
    private readonly redactor: Redactor,
    private readonly clock: ClockPort,
    pacing: PacerSettings,
  ) {
    this.#pacer = new EventPacer(pacing, (body, at) => this.#send(body, at), () => clock.now());
  }

  // Bursts put hundreds of events in one millisecond: format each millisecond once.
  #lastMs = Number.NaN;
  #lastIso = '';

  #timestamp(now: number): string {
    if (now !== this.#lastMs) {
      this.#lastMs = now;
      this.#lastIso = new Date(now).toISOString();
    }
    return this.#lastIso;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** How many events were merged into the one before them to keep within the limit. */
  get coalesced(): number {
    return this.#pacer.merged;
  }

  /**
   * Sends or holds one event. Returns a promise only when the emitter must wait (the client or
   * the pacer cannot take more yet, or the terminal event), never throws: a failure is a
   * rejected promise.
   */
  emit(body: JobEventBody): Promise<void> | undefined {
    if (this.#ended) return undefined;
    if (isTerminal(body)) return this.#end(body);
    try {
      return this.#pacer.push(body);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #end(body: JobEventBody): Promise<void> {
    this.#ended = true;
    // An event that could not be sent must not keep the terminal one from being tried.
    await this.#pacer.flush().catch(() => undefined);
    return this.#send(body, this.clock.now());
  }

  #send(body: JobEventBody, at: number): Promise<void> | undefined {
    // Envelope first: V8 builds this shape far faster than when the spread comes first.
    const envelope = { type: body.type, seq: this.#seq++, jobId: this.jobId, timestamp: this.#timestamp(at) };
    let event = Object.assign(envelope, body) as JobEvent;
    // Serialized once; masking the text is far cheaper than walking every event's fields.
    let json = JSON.stringify(event);
    const masked = this.redactor.json(json);
    if (masked !== json) {
      json = masked;
      event = JSON.parse(masked) as JobEvent;
    }
    this.recorder.record(event, json);
    const kept = this.journal.record(event, json);
    const sent = this.sink.send(event, json);
    if (!kept) return sent;
    return sent ? Promise.all([kept, sent]).then(() => undefined) : kept;
  }
}
