import type { SSEStreamingApi } from 'hono/streaming';
import type { EventSinkPort } from '../../application/ports/event-sink.port.js';
import type { JobEvent } from '../../domain/job-event.js';

// Proxies and load balancers close streams that stay silent for about a minute.
export const heartbeatMs = 15_000;

/**
 * A job's events as Server-Sent Events: `id` is the sequence number, `event` the type. A
 * comment line is sent whenever the stream has been quiet for heartbeatMs. After the client
 * has gone, sends are dropped rather than written into a closed socket.
 */
export class SseEventSink implements EventSinkPort {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: SSEStreamingApi,
    private readonly interval = heartbeatMs,
  ) {
    this.#arm();
  }

  async send(event: JobEvent): Promise<void> {
    if (this.stream.aborted || this.stream.closed) return;
    this.#arm();
    await this.stream.writeSSE({ id: String(event.seq), event: event.type, data: JSON.stringify(event) });
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (this.stream.aborted || this.stream.closed) return;
      void this.stream.write(': keep-alive\n\n').then(() => this.#arm());
    }, this.interval);
    this.#timer.unref();
  }
}
