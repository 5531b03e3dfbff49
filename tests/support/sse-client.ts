import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface ReceivedEvent {
  id: string | undefined;
  event: string | undefined;
  data: Record<string, unknown> & { type: string; seq: number; jobId: string; timestamp: string };
}

export interface ExecuteOptions {
  token?: string;
  signal?: AbortSignal;
  contentType?: string;
}

export function postExecute(baseUrl: string, body: unknown, options: ExecuteOptions = {}): Promise<Response> {
  return fetch(`${baseUrl}/execute`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: options.signal,
  });
}

/** Every event of a stream, as the client parsed it, plus the raw text for leak checks. */
export async function* sseEvents(response: Response): AsyncGenerator<ReceivedEvent & { raw: string }> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => queue.push(message) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (queue.length > 0) {
      const message = queue.shift()!;
      yield { id: message.id, event: message.event, data: JSON.parse(message.data), raw: message.data };
    }
  }
}

export async function collectEvents(response: Response): Promise<Array<ReceivedEvent & { raw: string }>> {
  const events = [];
  for await (const event of sseEvents(response)) events.push(event);
  return events;
}

/**
 * Reads events until one of `type` arrives. It pulls the iterator by hand: leaving a for-await
 * loop would cancel the response body, which is a client disconnect.
 */
export async function until<T extends { data: { type: string } }>(events: AsyncGenerator<T>, wanted: string | ((event: T) => boolean)): Promise<T> {
  const matches = typeof wanted === 'string' ? (event: T) => event.data.type === wanted : wanted;
  for (let next = await events.next(); !next.done; next = await events.next()) {
    if (matches(next.value)) return next.value;
  }
  throw new Error(`the stream ended before ${typeof wanted === 'string' ? wanted : 'the event wanted'}`);
}
