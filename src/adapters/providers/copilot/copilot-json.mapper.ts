import * as v from 'valibot';
import type { Usage } from '../../../domain/agent-item.js';
import type { DomainError } from '../../../domain/errors.js';
import type { CliExit } from '../cli-process.js';
import type { MappedOutput, OutputMapper, RunVerdict, UsageBaseline } from '../mapped-output.js';
import { modelApiFailure, sessionNotFound } from '../provider-failure.js';
import { usageLimit } from '../usage-limit.js';

// Copilot prints many event types; objects are loose, only what the mapper reads is named.
const lineSchema = v.looseObject({
  type: v.string(),
  data: v.optional(v.looseObject({})),
  sessionId: v.optional(v.string()),
  exitCode: v.optional(v.number()),
});

type Data = Record<string, unknown>;

export interface CopilotMapperInput {
  /** Chosen up front with --session-id: stdout names it only in the last line. */
  sessionId: string;
  /** The session's usage before this run; Copilot counts over the whole session. */
  baseline?: UsageBaseline;
  /** Token counts are not on stdout: they come from --usage-output-file, written before the result line. */
  readUsage: () => UsageBaseline | undefined;
}

/** `copilot --output-format json` lines as normalized items; one instance per run. */
export class CopilotJsonMapper implements OutputMapper {
  #announced = false;
  #lastText = '';
  #turns = 0;
  #cumulative: UsageBaseline | undefined;
  #result: { exitCode: number } | undefined;
  #failure: DomainError | undefined;

  constructor(private readonly input: CopilotMapperInput) {}

  get cumulativeUsage(): UsageBaseline | undefined {
    return this.#cumulative;
  }

  map(raw: unknown): MappedOutput[] {
    const parsed = v.safeParse(lineSchema, raw);
    if (!parsed.success) return [];
    const line = parsed.output;
    const data = (line.data ?? {}) as Data;
    const out: MappedOutput[] = [];
    // The session waits for the model, named by session.tools_updated before the prompt goes out.
    const model = typeof data.model === 'string' ? data.model : undefined;
    if (!this.#announced && (model || !line.type.startsWith('session.'))) {
      this.#announced = true;
      out.push({ type: 'item', item: { kind: 'session', sessionId: this.input.sessionId, ...(model && { model }) } });
    }
    switch (line.type) {
      case 'assistant.turn_start':
        this.#turns += 1;
        break;
      case 'assistant.message':
        if (typeof data.content === 'string' && data.content) {
          this.#lastText = data.content;
          out.push({ type: 'item', item: { kind: 'text', text: data.content } });
        }
        break;
      case 'assistant.reasoning':
        if (typeof data.content === 'string' && data.content) out.push({ type: 'item', item: { kind: 'thinking', text: data.content } });
        break;
      case 'tool.execution_start':
        out.push({ type: 'item', item: { kind: 'tool_call', id: String(data.toolCallId), name: String(data.toolName), input: data.arguments ?? {} } });
        break;
      case 'tool.execution_complete': {
        const result = (data.result ?? {}) as { content?: unknown };
        const error = (data.error ?? {}) as { message?: unknown };
        const output = typeof result.content === 'string' ? result.content : typeof error.message === 'string' ? error.message : '';
        out.push({ type: 'item', item: { kind: 'tool_result', id: String(data.toolCallId), ok: data.success === true, output } });
        break;
      }
      case 'model.call_failure':
        out.push({ type: 'notice', text: `the model API answered ${String(data.statusCode ?? 'an error')}; attempt ${Number(data.retryAttempt ?? 0) + 1}` });
        break;
      case 'session.error':
        this.#failure = failureOf(data);
        break;
      case 'result':
        this.#result = { exitCode: line.exitCode ?? 0 };
        this.#cumulative = this.input.readUsage();
        out.push({ type: 'item', item: { kind: 'usage', ...this.#usage() } });
        break;
    }
    return out;
  }

  verdict(exit: CliExit, stderr: string): RunVerdict | undefined {
    if (this.#failure) return { ok: false, error: this.#failure };
    if (stderr.includes('No session, task, or name matched')) {
      return { ok: false, error: sessionNotFound() };
    }
    if (this.#result?.exitCode !== 0 || exit.code !== 0) return undefined;
    return {
      ok: true,
      outcome: { sessionId: this.input.sessionId, result: this.#lastText, numTurns: this.#turns, usage: this.#usage() },
    };
  }

  #usage(): Usage {
    const base = this.input.baseline ?? { inputTokens: 0, outputTokens: 0 };
    const total = this.#cumulative ?? base;
    return { inputTokens: Math.max(0, total.inputTokens - base.inputTokens), outputTokens: Math.max(0, total.outputTokens - base.outputTokens) };
  }
}

// Copilot 1.0 names the kind of a session.error: "rate_limit" (a 429 it gave up on, quota or not)
// and "quota" (the GitHub plan's); on BYOK it prints no reset time.
const usageLimitTypes = new Set(['rate_limit', 'quota']);

function failureOf(data: Data): DomainError {
  const text = typeof data.message === 'string' ? data.message : String(data.errorType ?? 'unknown error');
  if (usageLimitTypes.has(String(data.errorType))) return usageLimit(text);
  return modelApiFailure(typeof data.statusCode === 'number' ? data.statusCode : undefined, text);
}
