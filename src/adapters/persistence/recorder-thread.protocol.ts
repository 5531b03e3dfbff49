import type { PersistenceReport } from '../../application/ports/persistence.port.js';
import type { HttpDbApiSettings } from './http-db-api.persistence.js';

/** What the thread is started with. */
export interface RecorderThreadData {
  settings: HttpDbApiSettings;
}

/**
 * One chunk as four entries of a flat list: seq, type, the event's JSON, timestamp. A flat list
 * of strings and numbers is what structured cloning copies fastest.
 */
export type ChunkEntries = Array<string | number>;

export type ToThread =
  | { kind: 'open'; jobId: string; sessionId: string; token: string }
  | { kind: 'chunks'; jobId: string; entries: ChunkEntries }
  | { kind: 'flush' | 'close'; jobId: string; request: number }
  /** The signal of a flush or close aborted: it gives up and reports what it dropped. */
  | { kind: 'give-up'; request: number };

export type FromThread =
  | { kind: 'report'; request: number; report: PersistenceReport }
  | { kind: 'backlog'; jobId: string; backlog: number }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; fields: object; message: string };
