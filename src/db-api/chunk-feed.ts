import * as v from 'valibot';
import type { Sql } from './sql.js';

/** The NOTIFY channel: every statement that stores chunks, or erases a session, notifies it on commit. */
export const chunksChannel = 'db_api_chunks';

/** SQL that notifies the readers of a job (two SQL text expressions) that chunks were stored. */
export const notifyChunks = (session: string, job: string): string =>
  `pg_notify('${chunksChannel}', json_build_object('sessionId', ${session}, 'jobId', ${job})::text)`;

const notice = v.object({ sessionId: v.string(), jobId: v.optional(v.string()), erased: v.optional(v.boolean()) });

/** What a reader hears: new chunks of its job, its session erased, or the server closing. */
export type FeedChange = 'chunks' | 'erased' | 'closing';

interface Subscriber {
  jobId: string;
  onChange(change: FeedChange): void;
}

/**
 * One LISTEN for the whole server, fanned out to the readers of each job. A reader subscribes
 * before its first read, so a notification sent between that read and its wait is not lost;
 * unsubscribing removes it at once, so a closed connection leaves nothing behind.
 */
export class ChunkFeed {
  readonly #bySession = new Map<string, Set<Subscriber>>();
  #listening: Promise<boolean> | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;

  constructor(
    private readonly sql: Sql,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Readers subscribed now. */
  get size(): number {
    let size = 0;
    for (const subscribers of this.#bySession.values()) size += subscribers.size;
    return size;
  }

  /** Subscribes at once; the promise settles when notifications flow (or could not, and polling must do). */
  subscribe(sessionId: string, jobId: string, onChange: (change: FeedChange) => void): { ready: Promise<unknown>; unsubscribe: () => void } {
    const subscriber: Subscriber = { jobId, onChange };
    const subscribers = this.#bySession.get(sessionId) ?? new Set();
    this.#bySession.set(sessionId, subscribers.add(subscriber));
    const unsubscribe = (): void => {
      subscribers.delete(subscriber);
      if (subscribers.size === 0 && this.#bySession.get(sessionId) === subscribers) this.#bySession.delete(sessionId);
    };
    return { ready: this.#listen(), unsubscribe };
  }

  /** Tells every reader the server is closing, and stops listening. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const subscribers of [...this.#bySession.values()]) for (const subscriber of [...subscribers]) subscriber.onChange('closing');
    await this.#unlisten?.();
  }

  #listen(): Promise<boolean> {
    this.#listening ??= this.sql.listen(chunksChannel, (payload) => this.#dispatch(payload)).then(
      (unlisten) => {
        if (this.#closed) void unlisten();
        else this.#unlisten = unlisten;
        return true;
      },
      (error: unknown) => {
        // The next reader tries again; until then readers poll.
        this.#listening = undefined;
        this.onError(error);
        return false;
      },
    );
    return this.#listening;
  }

  #dispatch(payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    const message = v.safeParse(notice, parsed);
    if (!message.success) return;
    const { sessionId, jobId, erased } = message.output;
    for (const subscriber of this.#bySession.get(sessionId) ?? []) {
      if (erased) subscriber.onChange('erased');
      else if (subscriber.jobId === jobId) subscriber.onChange('chunks');
    }
  }
}
