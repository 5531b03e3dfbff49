import type { JobEvent, JobEventBody } from '../domain/job-event.js';
import { isTerminal } from '../domain/job-event.js';
import type { Redactor } from '../domain/redactor.js';
import type { ClockPort } from './ports/clock.port.js';
import type { EventSinkPort } from './ports/event-sink.port.js';
import type { JobRecorder } from './ports/persistence.port.js';

/**
 * A job's event stream: numbers events from 0 without gaps, stamps them, masks secrets,
 * records them and hands them to the client's sink. Nothing follows the terminal event.
 */
export class JobStream {
  #seq = 0;
  #ended = false;

  constructor(
    private readonly jobId: string,
    private readonly sink: EventSinkPort,
    private readonly recorder: JobRecorder,
    private readonly redactor: Redactor,
    private readonly clock: ClockPort,
  ) {}

  get ended(): boolean {
    return this.#ended;
  }

  async emit(body: JobEventBody): Promise<void> {
    if (this.#ended) return;
    if (isTerminal(body)) this.#ended = true;
    const event = this.redactor.deep({
      ...body,
      seq: this.#seq++,
      jobId: this.jobId,
      timestamp: new Date(this.clock.now()).toISOString(),
    } as JobEvent);
    this.recorder.record(event);
    await this.sink.send(event);
  }
}
