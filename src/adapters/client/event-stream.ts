import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { JobEvent } from '../../domain/job-event.js';

/**
 * The job events of one SSE response (`POST /execute`, `GET /jobs/{id}/events`, the DB API's
 * session events), until its body ends or breaks: a broken body, or a frame that is not a job
 * event, just ends them, for the caller to tell from a terminal event. Aborting `signal` throws
 * its reason. Leaving early (break, throw, abort) closes the connection.
 */
export async function* sseJobEvents(response: Response, signal?: AbortSignal): AsyncGenerator<JobEvent> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  try {
    for (;;) {
      const next = await reader.read().catch(() => {
        if (signal?.aborted) throw signal.reason;
        return undefined;
      });
      if (!next || next.done) return;
      const event = jobEventOf(next.value.data);
      if (!event) return;
      yield event;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function jobEventOf(data: string): JobEvent | undefined {
  try {
    const event = JSON.parse(data) as Partial<JobEvent> | null;
    return event && typeof event.type === 'string' && Number.isInteger(event.seq) && typeof event.jobId === 'string' ? (event as JobEvent) : undefined;
  } catch {
    return undefined;
  }
}
