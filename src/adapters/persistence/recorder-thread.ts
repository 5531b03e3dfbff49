/**
 * The worker thread behind ThreadedDbApiPersistence: each job's recorder (batching, requests,
 * retries) runs here, off the thread that relays events. Its logs go back to the worker's logger.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { JobRecorder } from '../../application/ports/persistence.port.js';
import type { LoggerPort } from '../../application/ports/logger.port.js';
import type { JobEvent } from '../../domain/job-event.js';
import { Secret } from '../../domain/secret.js';
import { HttpDbApiPersistence } from './http-db-api.persistence.js';
import type { FromThread, RecorderThreadData, ToThread } from './recorder-thread.protocol.js';

// The gauge of events waiting is read at scrape time: a report a tenth of a second old is fresh enough.
const backlogEveryMs = 100;

const port = parentPort!;
const post = (message: FromThread): void => port.postMessage(message);
const log = (level: 'info' | 'warn' | 'error') => (fields: object, message: string) => post({ kind: 'log', level, fields, message });
const logger: LoggerPort = { info: log('info'), warn: log('warn'), error: log('error') };

const persistence = new HttpDbApiPersistence((workerData as RecorderThreadData).settings, logger);
const recorders = new Map<string, JobRecorder>();
const givingUp = new Map<number, AbortController>();
const backlogTimers = new Map<string, NodeJS.Timeout>();

port.on('message', (message: ToThread) => {
  switch (message.kind) {
    case 'open':
      recorders.set(message.jobId, persistence.open(message.jobId, { sessionId: message.sessionId, accessToken: new Secret(message.token) }));
      return;
    case 'chunks':
      return record(message.jobId, message.entries);
    case 'flush':
    case 'close':
      return void answer(message.kind, message.jobId, message.request);
    case 'give-up':
      return givingUp.get(message.request)?.abort();
  }
});

function record(jobId: string, entries: Array<string | number>): void {
  const recorder = recorders.get(jobId);
  if (!recorder) return;
  for (let i = 0; i < entries.length; i += 4) {
    // The recorder reads an event's seq, type and timestamp; its JSON carries the rest.
    const event = { seq: entries[i], type: entries[i + 1], timestamp: entries[i + 3] } as JobEvent;
    recorder.record(event, entries[i + 2] as string);
  }
  if (!backlogTimers.has(jobId)) {
    backlogTimers.set(jobId, setTimeout(() => {
      backlogTimers.delete(jobId);
      post({ kind: 'backlog', jobId, backlog: recorder.backlog() });
    }, backlogEveryMs));
  }
}

async function answer(kind: 'flush' | 'close', jobId: string, request: number): Promise<void> {
  const recorder = recorders.get(jobId);
  const controller = new AbortController();
  givingUp.set(request, controller);
  try {
    const report = recorder ? await recorder[kind](controller.signal) : { stored: 0, dropped: 0 };
    if (kind === 'close') {
      recorders.delete(jobId);
      clearTimeout(backlogTimers.get(jobId));
      backlogTimers.delete(jobId);
    }
    post({ kind: 'report', request, report });
  } finally {
    givingUp.delete(request);
  }
}
