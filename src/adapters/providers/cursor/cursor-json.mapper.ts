import * as v from 'valibot';
import type { AgentItem } from '../../../domain/agent-item.js';
import type { CliExit } from '../cli-process.js';
import type { MappedOutput, OutputMapper, RunVerdict } from '../mapped-output.js';
import { modelApiFailure, sessionNotFound } from '../provider-failure.js';

// cursor-agent's stream-json, as cursor.com/docs/cli/reference/output-format documents it.
const lineSchema = v.looseObject({
  type: v.string(),
  subtype: v.optional(v.string()),
  session_id: v.optional(v.string()),
});

type Line = Record<string, unknown> & v.InferOutput<typeof lineSchema>;

/** `cursor-agent -p --output-format stream-json` lines as normalized items; one instance per run. */
export class CursorJsonMapper implements OutputMapper {
  #sessionId: string | null = null;
  #turns = 0;
  #result: { ok: boolean; text: string } | undefined;

  get sessionId(): string | null {
    return this.#sessionId;
  }

  map(raw: unknown): MappedOutput[] {
    const parsed = v.safeParse(lineSchema, raw);
    if (!parsed.success) return [];
    const line = parsed.output as Line;
    switch (line.type) {
      case 'system':
        if (line.subtype !== 'init' || !line.session_id) return [];
        this.#sessionId = line.session_id;
        return [{ type: 'item', item: { kind: 'session', sessionId: line.session_id, ...(typeof line.model === 'string' ? { model: line.model } : {}) } }];
      case 'assistant': {
        // One line per assistant message, the whole message between tool calls.
        this.#turns += 1;
        const text = textOf(line.message);
        return text ? [{ type: 'item', item: { kind: 'text', text } }] : [];
      }
      case 'tool_call':
        return toolItems(line);
      case 'result':
        this.#result = { ok: line.is_error !== true && line.subtype === 'success', text: typeof line.result === 'string' ? line.result : '' };
        return [];
      default:
        return [];
    }
  }

  verdict(exit: CliExit, stderr: string): RunVerdict | undefined {
    if (this.#result?.ok && exit.code === 0) {
      // The CLI reports no token counts and no cost.
      return { ok: true, outcome: { sessionId: this.#sessionId, result: this.#result.text, numTurns: this.#turns, usage: { inputTokens: 0, outputTokens: 0 } } };
    }
    if (/chat .*not found|no (such )?chat|session .*not found/i.test(stderr)) return { ok: false, error: sessionNotFound() };
    // On failure the CLI exits non-zero and explains itself on stderr, perhaps with no result line.
    const message = this.#result?.text || stderr.split('\n').filter(Boolean).at(-1);
    return message ? { ok: false, error: modelApiFailure(Number(/\b([45]\d\d)\b/.exec(message)?.[1]) || undefined, message) } : undefined;
  }
}

function textOf(message: unknown): string {
  const content = (message as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return '';
  return content.flatMap((part: { type?: string; text?: unknown }) => (part?.type === 'text' && typeof part.text === 'string' ? [part.text] : [])).join('');
}

/** `tool_call: {"<name>ToolCall": {args, result}}`: started carries the args, completed the result. */
function toolItems(line: Line): MappedOutput[] {
  const id = typeof line.call_id === 'string' ? line.call_id : '';
  const [key, call] = Object.entries((line.tool_call ?? {}) as Record<string, { args?: unknown; result?: Record<string, unknown> }>)[0] ?? [];
  if (!key || !call) return [];
  const name = key.replace(/ToolCall$/, '');
  if (line.subtype === 'started') return [{ type: 'item', item: { kind: 'tool_call', id, name, input: call.args ?? {} } }];
  if (line.subtype !== 'completed') return [];
  const [outcome, detail] = Object.entries(call.result ?? {})[0] ?? ['unknown', {}];
  const item: AgentItem = { kind: 'tool_result', id, ok: outcome === 'success', output: outputOf(detail) };
  return [{ type: 'item', item }];
}

function outputOf(detail: unknown): string {
  if (typeof detail !== 'object' || detail === null) return '';
  const fields = detail as Record<string, unknown>;
  for (const key of ['content', 'stdout', 'error', 'reason', 'message']) {
    if (typeof fields[key] === 'string') return fields[key];
  }
  return JSON.stringify(detail);
}
