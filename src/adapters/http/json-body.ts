import type { IncomingMessage } from 'node:http';
import { nestsDeeperThan } from './json-depth.js';

/** Deeper than any request the API defines (about five levels), far below what costs time to parse. */
export const maxJsonDepth = 32;

export type JsonBody =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'too_large' | 'too_deep' | 'malformed' | 'gone' };

/**
 * A request's JSON body, read from Node's own stream and refused once it passes `maxBytes`
 * (declared or counted). Reading it through hono's web Request costs a web stream per request,
 * the larger part of a millisecond before the first event.
 */
export function readJsonBody(incoming: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  if (Number(incoming.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve({ ok: false, reason: 'too_large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (body: JsonBody): void => {
      incoming.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      resolve(body);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      // The rest is left unread: Node discards it once the 413 has been answered.
      else settle({ ok: false, reason: 'too_large' });
    };
    const onEnd = (): void => {
      const text = Buffer.concat(chunks, size);
      if (nestsDeeperThan(text, maxJsonDepth)) return settle({ ok: false, reason: 'too_deep' });
      try {
        settle({ ok: true, value: JSON.parse(text.toString('utf8')) });
      } catch {
        settle({ ok: false, reason: 'malformed' });
      }
    };
    const onGone = (): void => settle({ ok: false, reason: 'gone' });
    incoming.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}
