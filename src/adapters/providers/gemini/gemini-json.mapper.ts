import * as v from 'valibot';
import { assertNever } from '../../../domain/assert-never.js';
import type { DomainError } from '../../../domain/errors.js';
import type { CliExit } from '../cli-process.js';
import type { MappedOutput, OutputMapper, RunVerdict } from '../mapped-output.js';
import { modelApiFailure, sessionNotFound } from '../provider-failure.js';
import { retryAfterMsIn } from '../usage-limit.js';
import { geminiLineSchema, type GeminiLine } from './gemini-json.schema.js';

/** `gemini --output-format stream-json` lines as normalized items; one instance per run. */
export class GeminiJsonMapper implements OutputMapper {
  #sessionId: string | null = null;
  /** Assistant text arrives in deltas; it becomes one text item when the model moves on. */
  #pending = '';
  #lastText = '';
  #turns = 0;
  #modelSpeaking = false;
  #success: RunVerdict | undefined;
  #failure: string | undefined;

  get sessionId(): string | null {
    return this.#sessionId;
  }

  map(raw: unknown): MappedOutput[] {
    const parsed = v.safeParse(geminiLineSchema, raw);
    return parsed.success ? this.#mapLine(parsed.output) : [];
  }

  verdict(exit: CliExit, stderr: string): RunVerdict | undefined {
    if (this.#failure !== undefined) return { ok: false, error: failureOf(this.#failure, exit.code) };
    if (this.#success && exit.code === 0) return this.#success;
    if (stderr.includes('Error resuming session')) {
      return { ok: false, error: sessionNotFound() };
    }
    return undefined;
  }

  #mapLine(line: GeminiLine): MappedOutput[] {
    switch (line.type) {
      case 'init':
        this.#sessionId = line.session_id;
        // "auto" is the CLI's router picking a model per request: no model to price the tokens by.
        return [{ type: 'item', item: { kind: 'session', sessionId: line.session_id, ...(line.model && line.model !== 'auto' ? { model: line.model } : {}) } }];
      case 'message':
        if (line.role !== 'assistant') return [];
        this.#speak();
        this.#pending += line.content;
        return line.delta ? [] : this.#flush();
      case 'tool_use':
        this.#speak();
        return [...this.#flush(), { type: 'item', item: { kind: 'tool_call', id: line.tool_id, name: line.tool_name, input: line.parameters ?? {} } }];
      case 'tool_result': {
        this.#modelSpeaking = false;
        const output = typeof line.output === 'string' ? line.output : line.output === undefined ? (line.error?.message ?? '') : JSON.stringify(line.output);
        return [...this.#flush(), { type: 'item', item: { kind: 'tool_result', id: line.tool_id, ok: line.status === 'success', output } }];
      }
      case 'error':
        return [...this.#flush(), { type: 'notice', text: `gemini: ${line.message}` }];
      case 'result':
        return [...this.#flush(), ...this.#result(line)];
      default:
        return assertNever(line);
    }
  }

  /** A model response starts with its first text or tool call after the prompt or a tool result. */
  #speak(): void {
    if (this.#modelSpeaking) return;
    this.#modelSpeaking = true;
    this.#turns += 1;
  }

  #flush(): MappedOutput[] {
    if (!this.#pending) return [];
    const text = this.#pending;
    this.#pending = '';
    this.#lastText = text;
    return [{ type: 'item', item: { kind: 'text', text } }];
  }

  #result(line: Extract<GeminiLine, { type: 'result' }>): MappedOutput[] {
    if (line.status !== 'success') {
      this.#failure = line.error?.message ?? line.status;
      return [];
    }
    const usage = { inputTokens: line.stats?.input_tokens ?? 0, outputTokens: line.stats?.output_tokens ?? 0 };
    this.#success = { ok: true, outcome: { sessionId: this.#sessionId, result: this.#lastText, numTurns: this.#turns, usage } };
    return [{ type: 'item', item: { kind: 'usage', ...usage } }];
  }
}

const codePattern = /"code":\s*(\d{3})\b/;
// Without a code in the message (429, 5xx), the CLI still exits with the HTTP status mod 256.
const statusOfExit = (code: number | null): number | undefined => (code !== null && code >= 144 && code <= 255 ? code + 256 : undefined);

// gemini 0.61 gives up on a quota without retrying ("Resource has been exhausted …\nSuggested retry
// after 3600s.", "You have exhausted your daily quota on this model.") and exits 173, i.e. 429.
const quotaPattern = /Resource has been exhausted|exhausted your daily quota|RESOURCE_EXHAUSTED/;

function failureOf(message: string, exitCode: number | null): DomainError {
  const status = Number(codePattern.exec(message)?.[1]) || statusOfExit(exitCode) || (quotaPattern.test(message) ? 429 : undefined);
  return modelApiFailure(status, message, { retryAfterMs: retryAfterMsIn(message) });
}
