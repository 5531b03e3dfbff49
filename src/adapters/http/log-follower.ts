import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { JobRecord } from '../../application/job-registry.js';
import { heartbeatMs as defaultHeartbeatMs } from './sse.event-sink.js';
import { sseHeaders } from '../shared/sse-frame.js';

// A replay goes out in writes of about this many characters, each waiting for the socket.
const readChars = 256 * 1024;
// How soon an EventSource that lost this stream tries again.
const retryMs = 1000;

/**
 * Streams a job's events after `after` to one reader as SSE: what the log keeps, then each new
 * event as it comes, until the terminal event. A slow reader slows only itself: it reads the log
 * at its own pace while the job writes on.
 */
export async function followLog(res: ServerResponse, record: JobRecord, after: number, heartbeatMs = defaultHeartbeatMs): Promise<void> {
  const left = new AbortController();
  res.once('close', () => left.abort());
  const leave = record.attach();
  const verdict = (): number => record.state().terminal?.seq ?? Number.POSITIVE_INFINITY;
  let cursor = after;
  let delivered = false;
  res.writeHead(200, { ...sseHeaders, 'x-job-id': record.jobId });
  res.write(`retry: ${retryMs}\n\n`);
  try {
    while (!left.signal.aborted) {
      const read = await record.log.read(cursor, readChars);
      if (read.kind === 'gone') break;
      if (read.kind === 'frames') {
        cursor = read.run.to;
        if (!res.write(read.run.frames)) await Promise.race([once(res, 'drain'), once(left.signal, 'abort')]);
        if (cursor >= verdict()) {
          delivered = true;
          break;
        }
        continue;
      }
      if (record.log.ended) break;
      const quiet = AbortSignal.any([left.signal, AbortSignal.timeout(heartbeatMs)]);
      await record.log.waitAfter(cursor, quiet);
      if (!left.signal.aborted && record.log.lastSeq <= cursor && !record.log.ended) res.write(': keep-alive\n\n');
    }
  } finally {
    if (!left.signal.aborted) {
      const finished = new Promise<boolean>((resolve) => {
        res.once('close', () => resolve(false));
        res.end(() => resolve(true));
      });
      delivered = (await finished) && delivered;
    } else delivered = false;
    leave(delivered);
  }
}
