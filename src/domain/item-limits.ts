import type { AgentItem } from './agent-item.js';
import { assertNever } from './assert-never.js';

/** Appended where a long text was cut, with how much was left out. */
export const truncationMarker = (dropped: number): string => `\n…[truncated ${dropped} characters]`;

function cut(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max) + truncationMarker(text.length - max);
}

/**
 * An item whose texts fit in `max` characters each: a tool that reads a 50 MB file must not
 * become a 50 MB event for every client and database. A tool call's input that is too large
 * becomes its truncated JSON text.
 */
export function limitItem(item: AgentItem, max: number): AgentItem {
  switch (item.kind) {
    case 'text':
    case 'thinking':
      return item.text.length <= max ? item : { ...item, text: cut(item.text, max) };
    case 'tool_result':
      return item.output.length <= max ? item : { ...item, output: cut(item.output, max) };
    case 'tool_call': {
      const json = JSON.stringify(item.input) ?? '';
      return json.length <= max ? item : { ...item, input: cut(json, max) };
    }
    case 'session':
    case 'usage':
      return item;
    default:
      return assertNever(item);
  }
}
