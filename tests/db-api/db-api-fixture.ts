import type { ReferenceDbApi } from '../support/reference-db-api.js';

// Unique per run: with TEST_DATABASE_URL the database outlives the test run.
export const run = Math.random().toString(36).slice(2, 10);
let made = 0;
/** A session id no other test (nor an earlier run on the same database) uses. */
export const freshSession = (name: string): string => `${name}-${run}-${++made}`;

type Api = Pick<ReferenceDbApi, 'url' | 'token'>;

/** One authorised request to the DB API. */
export function call(api: Api, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export type StoredEvent = { type: string; seq: number; jobId: string; timestamp: string } & Record<string, unknown>;

/** A job event as the worker streams it. */
export const jobEvent = (jobId: string, seq: number, type = 'message', body: Record<string, unknown> = { stage: 'provider', text: `e${seq}` }): StoredEvent => ({
  type,
  seq,
  jobId,
  timestamp: new Date(Date.UTC(2030, 0, 1, 0, 0, seq)).toISOString(),
  ...body,
});

/** Events `from`..`to` (inclusive) of a job; the last one `completed` when `ends`. */
export const jobEvents = (jobId: string, from: number, to: number, ends = false): StoredEvent[] =>
  Array.from({ length: to - from + 1 }, (_, i) =>
    ends && from + i === to ? jobEvent(jobId, to, 'completed', { sessionId: null, result: 'done' }) : jobEvent(jobId, from + i),
  );

/** Stores events as the worker does: one batch, each event as its chunk's data. */
export async function store(api: Api, sessionId: string, jobId: string, events: StoredEvent[]): Promise<void> {
  const chunks = events.map((event) => ({ seq: event.seq, type: event.type, data: event, timestamp: event.timestamp }));
  const response = await call(api, 'POST', `/sessions/${sessionId}/chunks`, { jobId, chunks });
  if (response.status !== 200) throw new Error(`storing chunks answered ${response.status}`);
}

/** Opens GET /sessions/{id}/events with the query and headers given. */
export function openEvents(api: Api, sessionId: string, query = '', headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${api.url}/sessions/${sessionId}/events${query}`, { headers: { authorization: `Bearer ${api.token}`, ...headers }, signal });
}

export interface Frame {
  raw: string;
  id?: string;
  event?: string;
  data?: StoredEvent;
}

/** An SSE body read frame by frame, exactly as sent: `next()` is the next frame, or undefined once the body ends. */
export class FrameReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #text = '';

  constructor(response: Response) {
    this.#reader = response.body!.getReader();
  }

  async next(): Promise<Frame | undefined> {
    for (;;) {
      const end = this.#text.indexOf('\n\n');
      if (end >= 0) {
        const raw = this.#text.slice(0, end + 2);
        this.#text = this.#text.slice(end + 2);
        return parseFrame(raw);
      }
      const { done, value } = await this.#reader.read();
      if (done) return undefined;
      this.#text += this.#decoder.decode(value, { stream: true });
    }
  }

  /** The events (frames with data) up to and including the one with seq `last`. */
  async eventsThrough(last: number): Promise<Frame[]> {
    const events: Frame[] = [];
    for (let frame = await this.next(); frame; frame = await this.next()) {
      if (frame.data) events.push(frame);
      if (frame.data?.seq === last) return events;
    }
    throw new Error(`the stream ended before seq ${last}`);
  }

  /** Every frame until the body ends. */
  async rest(): Promise<Frame[]> {
    const frames: Frame[] = [];
    for (let frame = await this.next(); frame; frame = await this.next()) frames.push(frame);
    return frames;
  }

  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

function parseFrame(raw: string): Frame {
  const frame: Frame = { raw };
  for (const line of raw.split('\n')) {
    if (line.startsWith('id: ')) frame.id = line.slice(4);
    if (line.startsWith('event: ')) frame.event = line.slice(7);
    if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6)) as StoredEvent;
  }
  return frame;
}
