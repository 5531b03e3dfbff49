import * as v from 'valibot';
import type { AgentItem, Usage } from '../../../domain/agent-item.js';
import { assertNever } from '../../../domain/assert-never.js';
import type { DomainError } from '../../../domain/errors.js';
import type { CliExit } from '../cli-process.js';
import type { MappedOutput, OutputMapper, RunVerdict, UsageBaseline } from '../mapped-output.js';
import { modelApiFailure, sessionNotFound } from '../provider-failure.js';
import { usageLimit, utcClockTime } from '../usage-limit.js';
import { codexLineSchema, type CodexItem, type CodexLine, type CodexUsage } from './codex-json.schema.js';

// Codex reports usage cumulated over the thread: a resumed run subtracts what came before.

/** `codex exec --json` lines as normalized items; one instance per run. */
export class CodexJsonMapper implements OutputMapper {
  #threadId: string | null = null;
  #lastMessage = '';
  #turns = 0;
  #cumulative: UsageBaseline | undefined;
  #failure: DomainError | undefined;
  readonly #started = new Set<string>();

  /** `now` dates a reset printed as a time of day and judges whether it is still ahead. */
  constructor(
    private readonly baseline: UsageBaseline = { inputTokens: 0, outputTokens: 0 },
    private readonly now: () => number = Date.now,
    /** The model the CLI was told to use: its output never names it, and the job's cost is estimated from it. */
    private readonly model?: string,
  ) {}

  get threadId(): string | null {
    return this.#threadId;
  }

  /** The thread's usage so far, to be the baseline of the next resume. */
  get cumulativeUsage(): UsageBaseline | undefined {
    return this.#cumulative;
  }

  map(raw: unknown): MappedOutput[] {
    const parsed = v.safeParse(codexLineSchema, raw);
    return parsed.success ? this.#mapLine(parsed.output) : [];
  }

  verdict(exit: CliExit, stderr: string): RunVerdict | undefined {
    if (this.#failure) return { ok: false, error: this.#failure };
    if (stderr.includes('no rollout found')) {
      return { ok: false, error: sessionNotFound() };
    }
    if (this.#turns === 0 || exit.code !== 0) return undefined;
    return {
      ok: true,
      outcome: { sessionId: this.#threadId, result: this.#lastMessage, numTurns: this.#turns, usage: this.#usage() },
    };
  }

  #mapLine(line: CodexLine): MappedOutput[] {
    switch (line.type) {
      case 'thread.started':
        this.#threadId = line.thread_id;
        return [{ type: 'item', item: { kind: 'session', sessionId: line.thread_id, ...(this.model && { model: this.model }) } }];
      case 'turn.started':
        return [];
      case 'turn.completed':
        this.#turns += 1;
        if (line.usage) this.#cumulative = cumulativeOf(line.usage);
        return [{ type: 'item', item: { kind: 'usage', ...this.#usage() } }];
      case 'turn.failed':
        this.#failure = failureOf(line.error?.message ?? '', this.now());
        return [];
      case 'item.started':
      case 'item.updated':
        return this.#started.has(line.item.id) ? [] : this.#start(line.item);
      case 'item.completed':
        return [...(this.#started.has(line.item.id) ? [] : this.#start(line.item)), ...this.#complete(line.item)];
      case 'error':
        // Reconnects are worth telling the client; the final error repeats in turn.failed.
        return line.message.startsWith('Reconnecting') ? [{ type: 'notice', text: `the model API failed: ${line.message}` }] : [];
      default:
        return assertNever(line);
    }
  }

  #usage(): Usage {
    const total = this.#cumulative ?? this.baseline;
    return {
      inputTokens: Math.max(0, total.inputTokens - this.baseline.inputTokens),
      outputTokens: Math.max(0, total.outputTokens - this.baseline.outputTokens),
    };
  }

  /** Tool-like items open with a tool_call; messages and reasoning are reported once complete. */
  #start(item: CodexItem): MappedOutput[] {
    const call = toolCallOf(item);
    if (!call) return [];
    this.#started.add(item.id);
    return [{ type: 'item', item: call }];
  }

  #complete(item: CodexItem): MappedOutput[] {
    const text = typeof item.text === 'string' ? item.text : '';
    switch (item.type) {
      case 'agent_message':
        this.#lastMessage = text;
        return [{ type: 'item', item: { kind: 'text', text } }];
      case 'reasoning':
        return text ? [{ type: 'item', item: { kind: 'thinking', text } }] : [];
      case 'error':
        return [{ type: 'notice', text: `codex: ${typeof item.message === 'string' ? item.message : 'warning'}` }];
      default: {
        const result = toolResultOf(item);
        return result ? [{ type: 'item', item: result }] : [];
      }
    }
  }
}

const toolTypes = new Set(['command_execution', 'file_change', 'mcp_tool_call', 'web_search']);

function toolCallOf(item: CodexItem): AgentItem | undefined {
  if (!toolTypes.has(item.type)) return undefined;
  const input =
    item.type === 'command_execution'
      ? { command: item.command }
      : item.type === 'file_change'
        ? { changes: item.changes }
        : item.type === 'mcp_tool_call'
          ? { server: item.server, tool: item.tool, arguments: item.arguments }
          : { query: item.query };
  return { kind: 'tool_call', id: item.id, name: item.type, input };
}

function toolResultOf(item: CodexItem): AgentItem | undefined {
  if (!toolTypes.has(item.type)) return undefined;
  const completed = item.status === undefined || item.status === 'completed';
  const exitOk = item.type !== 'command_execution' || item.exit_code === 0;
  const output =
    typeof item.aggregated_output === 'string'
      ? item.aggregated_output
      : Array.isArray(item.changes)
        ? item.changes.map((change: { kind?: string; path?: string }) => `${change.kind ?? 'update'} ${change.path ?? ''}`).join('\n')
        : item.result !== undefined
          ? JSON.stringify(item.result)
          : typeof item.error === 'object' && item.error !== null
            ? String((item.error as { message?: unknown }).message ?? '')
            : '';
  return { kind: 'tool_result', id: item.id, ok: completed && exitOk, output };
}

function cumulativeOf(usage: CodexUsage): UsageBaseline {
  return { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens };
}

const statusPattern = /status:? (\d{3})\b/;

// codex 0.169 on a 429 `usage_limit_reached` / `insufficient_quota` (it does not retry either):
// "You’ve hit your usage limit. … try again at 5:25 PM." / "Quota exceeded. Check your plan and billing details."
const usageLimitPattern = /^You(?:’|')ve hit your usage limit|^Quota exceeded\./;
// The time is in the CLI's zone, which the adapter sets to UTC; later days print as "Dec 3rd, 2026 9:25 PM".
const tryAgainAtPattern = /try again at (.+?)\.?$/i;

function failureOf(message: string, now: number): DomainError {
  if (!usageLimitPattern.test(message)) return modelApiFailure(Number(statusPattern.exec(message)?.[1]) || undefined, message);
  const at = tryAgainAtPattern.exec(message)?.[1];
  return usageLimit(message, { resetAt: at === undefined ? undefined : utcClockTime(at, now) }, now);
}
