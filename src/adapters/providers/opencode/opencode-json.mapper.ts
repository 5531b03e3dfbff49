import * as v from 'valibot';
import type { AgentItem, Usage } from '../../../domain/agent-item.js';
import type { DomainError } from '../../../domain/errors.js';
import type { CliExit } from '../cli-process.js';
import type { MappedOutput, OutputMapper, RunVerdict } from '../mapped-output.js';
import { modelApiFailure, sessionNotFound } from '../provider-failure.js';
import { opencodeLimitReset } from './opencode-limit.js';

// opencode prints one line per finished part; objects are loose, only what is read is named.
const lineSchema = v.looseObject({
  type: v.string(),
  sessionID: v.optional(v.string()),
  part: v.optional(v.looseObject({ type: v.optional(v.string()) })),
  error: v.optional(v.looseObject({ name: v.optional(v.string()), data: v.optional(v.looseObject({})) })),
});

type Part = Record<string, unknown>;

/** `opencode run --format json` lines as normalized items; one instance per run. */
export class OpencodeJsonMapper implements OutputMapper {
  #sessionId: string | null = null;
  #lastText = '';
  #steps = 0;
  #usage: Usage = { inputTokens: 0, outputTokens: 0 };
  #failure: DomainError | undefined;

  /** `now` judges whether a reset time is still ahead. */
  constructor(
    private readonly now: () => number = Date.now,
    /** The model the CLI was told to use: its output never names it, and the job's cost is estimated from it. */
    private readonly model?: string,
  ) {}

  get sessionId(): string | null {
    return this.#sessionId;
  }

  map(raw: unknown): MappedOutput[] {
    const parsed = v.safeParse(lineSchema, raw);
    if (!parsed.success) return [];
    const line = parsed.output;
    const out: MappedOutput[] = [];
    // There is no session-start line: every line names the session.
    if (line.sessionID && !this.#sessionId) {
      this.#sessionId = line.sessionID;
      out.push({ type: 'item', item: { kind: 'session', sessionId: line.sessionID, ...(this.model && { model: this.model }) } });
    }
    const part = (line.part ?? {}) as Part;
    switch (line.type) {
      case 'text':
        if (typeof part.text === 'string' && part.text) {
          this.#lastText = part.text;
          out.push({ type: 'item', item: { kind: 'text', text: part.text } });
        }
        break;
      case 'reasoning':
        if (typeof part.text === 'string' && part.text) out.push({ type: 'item', item: { kind: 'thinking', text: part.text } });
        break;
      case 'tool_use':
        out.push(...toolItems(part));
        break;
      case 'step_finish':
        out.push({ type: 'item', item: this.#step(part) });
        break;
      case 'error':
        this.#failure = failureOf(line.error?.data ?? {}, this.now());
        break;
    }
    return out;
  }

  verdict(exit: CliExit, stderr: string): RunVerdict | undefined {
    if (this.#failure) return { ok: false, error: this.#failure };
    if (stderr.includes('Session not found')) {
      return { ok: false, error: sessionNotFound() };
    }
    if (exit.code !== 0 || this.#steps === 0) return undefined;
    return { ok: true, outcome: { sessionId: this.#sessionId, result: this.#lastText, numTurns: this.#steps, usage: this.#usage } };
  }

  /** Each model step reports its own tokens; the items and the outcome carry their sums. */
  #step(part: Part): AgentItem {
    this.#steps += 1;
    const tokens = (part.tokens ?? {}) as { input?: number; output?: number; cache?: { read?: number; write?: number } };
    const step: Usage = {
      inputTokens: (tokens.input ?? 0) + (tokens.cache?.read ?? 0) + (tokens.cache?.write ?? 0),
      outputTokens: tokens.output ?? 0,
      ...(typeof part.cost === 'number' && part.cost > 0 ? { costUsd: part.cost } : {}),
    };
    this.#usage = {
      inputTokens: this.#usage.inputTokens + step.inputTokens,
      outputTokens: this.#usage.outputTokens + step.outputTokens,
      ...(step.costUsd !== undefined || this.#usage.costUsd !== undefined ? { costUsd: (this.#usage.costUsd ?? 0) + (step.costUsd ?? 0), costSource: 'reported' as const } : {}),
    };
    // A usage item is the job's usage so far, whichever provider reports it.
    return { kind: 'usage', ...this.#usage };
  }
}

/** opencode reports a tool only once it has finished: the call and its result come together. */
function toolItems(part: Part): MappedOutput[] {
  const id = typeof part.callID === 'string' ? part.callID : String(part.id ?? '');
  const name = typeof part.tool === 'string' ? part.tool : 'tool';
  const state = (part.state ?? {}) as { status?: string; input?: unknown; output?: unknown; error?: unknown };
  const output = typeof state.output === 'string' ? state.output : typeof state.error === 'string' ? state.error : '';
  return [
    { type: 'item', item: { kind: 'tool_call', id, name, input: state.input ?? {} } },
    { type: 'item', item: { kind: 'tool_result', id, ok: state.status === 'completed', output } },
  ];
}

const failureOf = (data: Record<string, unknown>, now: number): DomainError =>
  modelApiFailure(
    typeof data.statusCode === 'number' ? data.statusCode : undefined,
    typeof data.message === 'string' ? data.message : 'unknown error',
    opencodeLimitReset(data),
    now,
  );
