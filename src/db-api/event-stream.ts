import type { ChunkFeed, FeedChange } from './chunk-feed.js';
import type { Sql } from './sql.js';

export interface EventStreamTiming {
  /** How often a reader looks for chunks without being notified: a lost notification costs at most this. */
  pollMs: number;
  /** Silence after which a comment line goes out; proxies close streams quiet for about a minute. */
  keepAliveMs: number;
}

export interface EventStreamSource {
  sql: Sql;
  feed: ChunkFeed;
  sessionId: string;
  jobId: string;
  /** The last seq the client has; the stream starts after it. */
  after: number;
}

// Rows a read takes at most; the next read waits until the client has taken them.
const pageRows = 500;
// The stream holds about this many bytes for a slow client before it stops reading.
const highWaterBytes = 256 * 1024;

export const isTerminal = (type: string): boolean => type === 'completed' || type === 'error';

/**
 * A job's stored events as Server-Sent Events, framed as the worker frames them, from `after`
 * on: what is stored first, then what the worker stores while it runs, until the terminal
 * event, after which the stream ends. Reads are pulled, so a slow client holds back the reads,
 * not the server's memory.
 */
export function eventStream(source: EventStreamSource, timing: EventStreamTiming): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after = source.after;
  let lastWrite = Date.now();
  let changed = false;
  /** The session was erased, or the server is closing: the stream ends without a terminal event. */
  let ending = false;
  let closed = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const onChange = (change: FeedChange): void => {
    changed = true;
    if (change !== 'chunks') ending = true;
    wake?.();
  };
  const subscription = source.feed.subscribe(source.sessionId, source.jobId, onChange);
  const stop = (): void => {
    closed = true;
    clearTimeout(timer);
    subscription.unsubscribe();
    wake?.();
  };
  const waitForChange = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    }).finally(() => {
      clearTimeout(timer);
      wake = undefined;
    });
  const read = () =>
    source.sql.query<{ seq: number; type: string; data: unknown }>(
      `select seq, type, data from chunks where session_id = $1 and job_id = $2 and seq > $3::bigint order by seq limit ${pageRows}`,
      [source.sessionId, source.jobId, after],
    );

  return new ReadableStream<Uint8Array>(
    {
      async start(controller) {
        controller.enqueue(encoder.encode('retry: 1000\n\n'));
        await subscription.ready;
      },
      async pull(controller) {
        try {
          await follow(controller);
        } catch (error) {
          stop();
          controller.error(error);
        }
      },
      cancel: stop,
    },
    { highWaterMark: highWaterBytes, size: (chunk) => chunk.byteLength },
  );

  /** Enqueues what is new, or a keep-alive once the stream has been quiet long enough; waits for either. */
  async function follow(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    while (!closed) {
      changed = false;
      const { rows } = await read();
      if (closed) return;
      let frames = '';
      let ended = false;
      for (const row of rows) {
        frames += `id: ${row.seq}\nevent: ${row.type}\ndata: ${JSON.stringify(row.data)}\n\n`;
        after = row.seq;
        if (isTerminal(row.type)) {
          ended = true;
          break;
        }
      }
      if (frames) {
        controller.enqueue(encoder.encode(frames));
        lastWrite = Date.now();
      }
      if (ended || ending) {
        stop();
        controller.close();
        return;
      }
      if (frames) return;
      const quiet = Date.now() - lastWrite;
      if (quiet >= timing.keepAliveMs) {
        controller.enqueue(encoder.encode(': keep-alive\n\n'));
        lastWrite = Date.now();
        return;
      }
      if (!changed) await waitForChange(Math.min(timing.pollMs, timing.keepAliveMs - quiet));
    }
  }
}
