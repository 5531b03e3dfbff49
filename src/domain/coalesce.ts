import type { JobEventBody } from './job-event.js';

/** What separates two texts merged into one item: they were separate blocks, so a blank line. */
export const coalescedSeparator = '\n\n';

/**
 * One event saying what `held` and `next` said, when they are consecutive assistant texts (or
 * consecutive thoughts) of the same session and the merged text stays within `maxChars`;
 * undefined when they must stay two events. An event that carries its raw CLI line never merges:
 * the raw line would no longer match the item.
 */
export function coalesce(held: JobEventBody, next: JobEventBody, maxChars: number): JobEventBody | undefined {
  if (held.type !== 'assistant_message' || next.type !== 'assistant_message') return undefined;
  if (held.raw !== undefined || next.raw !== undefined || held.sessionId !== next.sessionId) return undefined;
  const [a, b] = [held.item, next.item];
  if ((a.kind !== 'text' && a.kind !== 'thinking') || b.kind !== a.kind) return undefined;
  const text = a.text + coalescedSeparator + b.text;
  if (text.length > maxChars) return undefined;
  return { type: 'assistant_message', sessionId: held.sessionId, item: { kind: a.kind, text } };
}
