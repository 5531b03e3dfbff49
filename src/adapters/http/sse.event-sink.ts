import type { ServerResponse } from 'node:http';
import type { EventSinkPort } from '../../application/ports/event-sink.port.js';
import type { JobEvent } from '../../domain/job-event.js';
import { SseFrameBuffer } from './sse-frame-buffer.js';
import { sseFrame, sseHeaders } from '../shared/sse-frame.js';

// Proxies and load balancers close streams that stay silent for about a minute.
export const heartbeatMs = 15_000;

/**
 * A job's events as Server-Sent Events, written straight to Node's response: `id` is the
 * sequence number, `event` the type. The first event of a tick is written at once; those that
 * follow it in the same tick leave together in one socket write at the tick's end. A full socket
 * makes send() wait for 'drain', so backpressure reaches the provider's stdout. A comment
 * line goes out whenever the stream has been quiet for heartbeatMs.
 */
export class SseEventSink implements EventSinkPort {
  #timer: NodeJS.Timeout | undefined;
  /** When the stream last wrote; the heartbeat timer checks it instead of being re-armed by every event. */
  #lastWrite = Date.now();
  readonly #frames = new SseFrameBuffer();
  /** True from a write until the end of its tick: later frames wait to leave together. */
  #batching = false;
  #closed = false;
  /** No event written yet. */
  #opening = true;
  #jobId: string | undefined;
  #verdictWritten = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly interval = heartbeatMs,
  ) {
    res.once('close', () => this.close());
    this.#arm();
  }

  /** True once the client has gone or the stream was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The job's id, once its first event has gone out. */
  get jobId(): string | undefined {
    return this.#jobId;
  }

  send(event: JobEvent, json: string): Promise<void> | undefined {
    if (this.#closed) return undefined;
    this.#jobId ??= event.jobId;
    if (event.type === 'completed' || event.type === 'error') this.#verdictWritten = true;
    this.#write(sseFrame(event.seq, event.type, json));
    return this.res.writableNeedDrain ? this.#drained() : undefined;
  }

  /**
   * Ends the response after what was written and stops the heartbeat. Resolves true once the
   * job's verdict has been handed to the client's connection whole.
   */
  end(): Promise<boolean> {
    const closed = this.#closed;
    this.close();
    if (closed) return Promise.resolve(false);
    this.#head();
    return new Promise((resolve) => {
      this.res.once('close', () => resolve(false));
      this.res.end(this.#frames.take(), () => resolve(this.#verdictWritten));
    });
  }

  /** The job's address goes with the headers, which leave with the `connected` event in one packet. */
  #head(): void {
    if (this.res.headersSent) return;
    this.res.writeHead(200, {
      ...sseHeaders,
      ...(this.#jobId && { 'x-job-id': this.#jobId, location: `/jobs/${this.#jobId}/events` }),
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #write(frame: string): void {
    this.#head();
    this.#lastWrite = Date.now();
    this.#frames.append(frame);
    if (this.#batching) return;
    this.#batching = true;
    process.nextTick(() => this.#flush());
    this.res.write(this.#frames.take());
    if (this.#opening) {
      // Node corks the socket until the next tick, and that tick waits for every promise job
      // queued before it: the job's next steps would hold `connected` back. It goes now.
      this.#opening = false;
      this.res.socket?.uncork();
    }
  }

  #flush(): void {
    this.#batching = false;
    if (!this.#frames.empty && !this.#closed) this.res.write(this.#frames.take());
  }

  #drained(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** Sends a comment line once the stream has been quiet for the interval. */
  #arm(delay = this.interval): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      if (this.#closed) return;
      const quiet = Date.now() - this.#lastWrite;
      if (quiet < this.interval) return this.#arm(this.interval - quiet);
      this.#write(': keep-alive\n\n');
      this.#arm();
    }, delay);
    this.#timer.unref();
  }
}
