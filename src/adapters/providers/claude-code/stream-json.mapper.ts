import * as v from 'valibot';
import type { Usage } from '../../../domain/agent-item.js';
import { assertNever } from '../../../domain/assert-never.js';
import { DomainError } from '../../../domain/errors.js';
import type { MappedOutput, OutputMapper, RunVerdict } from '../mapped-output.js';
import { modelApiFailure, sessionNotFound } from '../provider-failure.js';
import { isoOfEpochSeconds, usageLimit, type UsageLimitReset } from '../usage-limit.js';
import { schemaForLine, type AssistantBlock, type ResultLine, type StreamJsonLine } from './stream-json.schema.js';


// API failures come as an assistant message from this pseudo-model, then as the result line.
const syntheticModel = '<synthetic>';

/** Claude Code's stream-json lines as normalized items; one instance per run. */
export class StreamJsonMapper implements OutputMapper {
  #sessionId: string | null = null;
  #verdict: RunVerdict | undefined;
  /** API responses counted into #usage, by message id. */
  readonly #responses = new Set<string>();
  #usage: Usage = { inputTokens: 0, outputTokens: 0 };
  /** Set by a rejected rate_limit_event, which comes before the result line. */
  #limit: UsageLimitReset | undefined;

  /** `now` judges whether a reset time is still ahead. */
  constructor(private readonly now: () => number = Date.now) {}

  get sessionId(): string | null {
    return this.#sessionId;
  }

  /** Set once the result line was seen; a CLI killed by a signal never prints one. */
  verdict(): RunVerdict | undefined {
    return this.#verdict;
  }

  /** Lines that are not stream-json the mapper knows (stream_event, control_response ...) map to nothing. */
  map(raw: unknown): MappedOutput[] {
    const schema = schemaForLine(raw);
    const parsed = schema && v.safeParse(schema, raw);
    if (!parsed?.success) return [];
    const line = parsed.output;
    if (line.session_id && !this.#sessionId && line.type !== 'system') this.#sessionId = line.session_id;
    return this.#mapLine(line);
  }

  #mapLine(line: StreamJsonLine): MappedOutput[] {
    switch (line.type) {
      case 'system':
        return this.#system(line);
      case 'assistant':
        if (line.message.model === syntheticModel) return [];
        return [...line.message.content.flatMap((block) => itemOf(block)), ...this.#usageSoFar(line.message)];
      case 'user':
        return typeof line.message.content === 'string' ? [] : line.message.content.flatMap(toolResultOf);
      case 'result':
        return this.#result(line);
      case 'rate_limit_event':
        if (line.rate_limit_info?.status === 'rejected') this.#limit = { resetAt: isoOfEpochSeconds(line.rate_limit_info.resetsAt) };
        return [];
      default:
        return assertNever(line);
    }
  }

  /**
   * The job's usage so far, after the first line of each API response: the lines of one response
   * (one per content block) share its id and usage. The CLI prints a block when it ends, before
   * the response's final output count, so output tokens lag here; the result line's total is exact.
   */
  #usageSoFar(message: Record<string, unknown>): MappedOutput[] {
    const usage = responseUsageOf(message.usage);
    if (typeof message.id !== 'string' || !usage || this.#responses.has(message.id)) return [];
    this.#responses.add(message.id);
    const sum = (key: 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens') => (this.#usage[key] ?? 0) + (usage[key] ?? 0);
    this.#usage = { inputTokens: sum('inputTokens'), outputTokens: sum('outputTokens'), cacheReadTokens: sum('cacheReadTokens'), cacheWriteTokens: sum('cacheWriteTokens') };
    return [{ type: 'item', item: { kind: 'usage', ...this.#usage } }];
  }

  #system(line: Extract<StreamJsonLine, { type: 'system' }>): MappedOutput[] {
    if (line.subtype === 'init' && line.session_id) {
      this.#sessionId = line.session_id;
      return [{ type: 'item', item: { kind: 'session', sessionId: line.session_id, ...(line.model ? { model: line.model } : {}) } }];
    }
    if (line.subtype === 'api_retry') {
      const status = line.error_status ? ` ${line.error_status}` : '';
      const reason = typeof line.error === 'string' ? ` (${line.error})` : '';
      return [{ type: 'notice', text: `the model API answered${status}${reason}; retry ${line.attempt ?? '?'} of ${line.max_retries ?? '?'}` }];
    }
    return [];
  }

  #result(line: ResultLine): MappedOutput[] {
    const usage = {
      inputTokens: (line.usage?.input_tokens ?? 0) + (line.usage?.cache_creation_input_tokens ?? 0) + (line.usage?.cache_read_input_tokens ?? 0),
      outputTokens: line.usage?.output_tokens ?? 0,
      cacheReadTokens: line.usage?.cache_read_input_tokens ?? 0,
      cacheWriteTokens: line.usage?.cache_creation_input_tokens ?? 0,
      ...(typeof line.total_cost_usd === 'number' ? { costUsd: line.total_cost_usd, costSource: 'reported' as const } : {}),
    };
    const sessionId = line.session_id ?? this.#sessionId;
    // At --max-turns the CLI ends its turn gracefully, the session saved: a completed job, stopped by its budget.
    if (line.subtype === 'error_max_turns') {
      this.#verdict = { ok: true, outcome: { sessionId, result: line.result || (line.errors ?? []).map(String).join('; '), numTurns: line.num_turns, usage, stopReason: 'turns' } };
    } else {
      this.#verdict = line.is_error
        ? { ok: false, error: this.#errorOf(line) }
        : { ok: true, outcome: { sessionId, result: line.result, numTurns: line.num_turns, usage } };
    }
    return [{ type: 'item', item: { kind: 'usage', ...usage } }];
  }

  #errorOf(line: ResultLine): DomainError {
    // "You've hit your session limit · resets 5:21pm (UTC)" comes with api_error_status 429;
    // the reset is read from the rate_limit_event, the text has no date.
    if (this.#limit && (line.api_error_status ?? 429) === 429) return usageLimit(line.result, this.#limit, this.now());
    return errorOf(line);
  }
}

function itemOf(block: AssistantBlock): MappedOutput[] {
  if (block.type === 'text' && 'text' in block && typeof block.text === 'string') {
    return [{ type: 'item', item: { kind: 'text', text: block.text } }];
  }
  if (block.type === 'thinking' && 'thinking' in block && typeof block.thinking === 'string') {
    return [{ type: 'item', item: { kind: 'thinking', text: block.thinking } }];
  }
  if (block.type === 'tool_use' && 'id' in block && 'name' in block) {
    return [{ type: 'item', item: { kind: 'tool_call', id: String(block.id), name: String(block.name), input: block.input } }];
  }
  return [];
}

/** One API response's tokens, cache reads and writes counted as input as the result line does. */
function responseUsageOf(raw: unknown): Usage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const usage = raw as Record<string, unknown>;
  const count = (key: string): number => (typeof usage[key] === 'number' ? (usage[key] as number) : 0);
  return {
    inputTokens: count('input_tokens') + count('cache_creation_input_tokens') + count('cache_read_input_tokens'),
    outputTokens: count('output_tokens'),
    cacheReadTokens: count('cache_read_input_tokens'),
    cacheWriteTokens: count('cache_creation_input_tokens'),
  };
}

function toolResultOf(block: { type: string; [key: string]: unknown }): MappedOutput[] {
  if (block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') return [];
  const content = block.content;
  const output =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content.flatMap((part) => (part && typeof part.text === 'string' ? [part.text] : [])).join('\n')
        : '';
  return [{ type: 'item', item: { kind: 'tool_result', id: block.tool_use_id, ok: block.is_error !== true, output } }];
}

function errorOf(line: ResultLine): DomainError {
  const details = (line.errors ?? []).map(String);
  if (details.some((text) => text.includes('No conversation found'))) {
    return sessionNotFound();
  }
  // The CLI found neither a key, a token nor a login: retrying cannot help.
  if (line.result.startsWith('Not logged in')) {
    return new DomainError('MISSING_CREDENTIALS', 'the assistant has no credentials: send codingAssistantAccessToken');
  }
  return modelApiFailure(line.api_error_status ?? undefined, line.result || details.join('; ') || line.subtype);
}
