/** One job event as a Server-Sent Events frame: `id` is its seq, `event` its type. */
export const sseFrame = (seq: number, type: string, json: string): string => `id: ${seq}\nevent: ${type}\ndata: ${json}\n\n`;

/** The headers of every job event stream: no caching, and no proxy buffering of it. */
export const sseHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;
