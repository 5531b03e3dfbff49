import type { EventSinkPort } from '../../application/ports/event-sink.port.js';
import type { JobEvent } from '../../domain/job-event.js';

/**
 * Holds a job's terminal event until `before` has run: a one-job worker leaves its load
 * balancer's rotation then, so the end of this response frees no slot the balancer would fill.
 */
export class VerdictGateSink implements EventSinkPort {
  constructor(
    private readonly inner: EventSinkPort,
    private readonly before: () => Promise<void> | undefined,
  ) {}

  send(event: JobEvent, json: string): Promise<void> | undefined {
    if (event.type !== 'completed' && event.type !== 'error') return this.inner.send(event, json);
    const waiting = this.before();
    return waiting ? waiting.then(() => this.inner.send(event, json)) : this.inner.send(event, json);
  }
}
