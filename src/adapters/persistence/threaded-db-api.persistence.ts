import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LoggerPort } from '../../application/ports/logger.port.js';
import type { JobRecorder, PersistencePort, PersistenceReport, PersistenceTarget } from '../../application/ports/persistence.port.js';
import type { JobEvent } from '../../domain/job-event.js';
import type { HttpDbApiSettings } from './http-db-api.persistence.js';
import { noopRecorder } from './noop.persistence.js';
import type { ChunkEntries, FromThread, RecorderThreadData, ToThread } from './recorder-thread.protocol.js';

// A thread that does not answer a flush this long after its signal aborted is given up on.
const answerGraceMs = 1000;

/**
 * HttpDbApiPersistence on a worker thread of its own: the thread that relays events only hands
 * each event's JSON over, once a loop turn for all the events of that turn, and the batching,
 * the requests and their retries run beside it. Under a flood of events that work otherwise
 * takes a fifth of the relay's time. One thread serves every job of the process; it is started
 * by the first job that names a database, and holds the process open only while a job is open.
 */
export class ThreadedDbApiPersistence implements PersistencePort {
  readonly enabled = true;
  #thread: RecorderThread | undefined;

  constructor(
    private readonly settings: HttpDbApiSettings,
    private readonly logger: LoggerPort,
    private readonly start: (data: RecorderThreadData) => Worker = startThread,
  ) {}

  open(jobId: string, target: PersistenceTarget | undefined): JobRecorder {
    if (!target) return noopRecorder;
    if (!this.#thread?.alive) this.#thread = new RecorderThread(this.start({ settings: this.settings }), this.logger);
    return this.#thread.open(jobId, target);
  }
}

interface Pending {
  resolve: (report: PersistenceReport) => void;
  recorder: ThreadJobRecorder;
}

class RecorderThread {
  readonly #worker: Worker;
  readonly #recorders = new Map<string, ThreadJobRecorder>();
  readonly #pending = new Map<number, Pending>();
  #requests = 0;
  alive = true;

  constructor(worker: Worker, logger: LoggerPort) {
    this.#worker = worker;
    this.#worker.unref();
    this.#worker.on('message', (message: FromThread) => {
      if (message.kind === 'log') logger[message.level](message.fields, message.message);
      else if (message.kind === 'backlog') this.#recorders.get(message.jobId)?.heard(message.backlog);
      else this.#settle(message.request, message.report);
    });
    this.#worker.on('error', (error) => logger.error({ err: error }, 'the persistence thread failed'));
    this.#worker.on('exit', () => {
      this.alive = false;
      // Whatever it held is lost: each open flush reports it dropped.
      for (const request of [...this.#pending.keys()]) this.#settle(request);
    });
  }

  open(jobId: string, target: PersistenceTarget): ThreadJobRecorder {
    const recorder = new ThreadJobRecorder(jobId, this);
    this.#recorders.set(jobId, recorder);
    if (this.#recorders.size === 1) this.#worker.ref();
    this.post({ kind: 'open', jobId, sessionId: target.sessionId, token: target.accessToken.reveal() });
    return recorder;
  }

  post(message: ToThread): void {
    if (this.alive) this.#worker.postMessage(message);
  }

  /** Asks the thread to flush or close a job's recorder; resolves with its report. */
  ask(kind: 'flush' | 'close', recorder: ThreadJobRecorder, signal: AbortSignal): Promise<PersistenceReport> {
    const request = ++this.#requests;
    const answered = new Promise<PersistenceReport>((resolve) => this.#pending.set(request, { resolve, recorder }));
    if (!this.alive) this.#settle(request);
    this.post({ kind, jobId: recorder.jobId, request });
    const giveUp = (): void => {
      this.post({ kind: 'give-up', request });
      setTimeout(() => this.#settle(request), answerGraceMs).unref();
    };
    if (signal.aborted) giveUp();
    else signal.addEventListener('abort', giveUp, { once: true });
    return answered.finally(() => {
      signal.removeEventListener('abort', giveUp);
      if (kind === 'close') this.#closed(recorder.jobId);
    });
  }

  #closed(jobId: string): void {
    this.#recorders.delete(jobId);
    if (this.#recorders.size === 0) this.#worker.unref();
  }

  /** Without a report from the thread, everything the recorder handed over counts as dropped. */
  #settle(request: number, report?: PersistenceReport): void {
    const pending = this.#pending.get(request);
    if (!pending) return;
    this.#pending.delete(request);
    pending.resolve(report ?? { stored: 0, dropped: pending.recorder.recorded });
  }
}

class ThreadJobRecorder implements JobRecorder {
  #entries: ChunkEntries = [];
  #scheduled: NodeJS.Immediate | undefined;
  #recorded = 0;
  #backlog = 0;
  #sinceBacklog = 0;

  constructor(
    readonly jobId: string,
    private readonly thread: RecorderThread,
  ) {}

  get recorded(): number {
    return this.#recorded;
  }

  record(event: JobEvent, json: string): void {
    this.#entries.push(event.seq, event.type, json, event.timestamp);
    this.#recorded += 1;
    this.#sinceBacklog += 1;
    // Once a loop turn: the events of a busy turn go over in one message.
    this.#scheduled ??= setImmediate(() => this.#handOver());
  }

  flush(signal: AbortSignal): Promise<PersistenceReport> {
    this.#handOver();
    return this.thread.ask('flush', this, signal);
  }

  close(signal: AbortSignal): Promise<PersistenceReport> {
    this.#handOver();
    return this.thread.ask('close', this, signal);
  }

  backlog(): number {
    return this.#backlog + this.#sinceBacklog;
  }

  /** The thread's count of events waiting, as of its last report. */
  heard(backlog: number): void {
    this.#backlog = backlog;
    this.#sinceBacklog = 0;
  }

  #handOver(): void {
    clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#entries.length === 0) return;
    this.thread.post({ kind: 'chunks', jobId: this.jobId, entries: this.#entries });
    this.#entries = [];
  }
}

/**
 * The thread runs its own bundle (dist/recorder-thread.cjs) beside the worker's; from the
 * sources (tests, `npm run dev`) it runs the TypeScript module through tsx.
 */
export function startThread(data: RecorderThreadData): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./recorder-thread.cjs', here), { workerData: data });
  const require = createRequire(here);
  const entry = fileURLToPath(new URL('./recorder-thread.ts', here));
  const source = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(entry)});`;
  return new Worker(source, { eval: true, workerData: data });
}
