import * as v from 'valibot';
import { budgetKinds } from '../../../domain/budget.js';
import { errorCodes } from '../../../domain/errors.js';
import type { JobEvent } from '../../../domain/job-event.js';
import { repoPhases } from '../../../domain/repo-progress.js';

// The SSE contract as a schema, for the OpenAPI document. The type checks at the end keep it
// equal to the domain's JobEvent: a change to either that the other lacks fails to compile.

const usageFields = {
  inputTokens: v.number(),
  outputTokens: v.number(),
  costUsd: v.optional(v.number()),
  cacheReadTokens: v.optional(v.pipe(v.number(), v.description("of inputTokens, read from the provider's prompt cache"))),
  cacheWriteTokens: v.optional(v.pipe(v.number(), v.description("of inputTokens, written to the provider's prompt cache"))),
  costSource: v.optional(v.pipe(v.picklist(['reported', 'estimated']), v.description("reported by the provider, or estimated from the tokens and the model's list price"))),
};
const usage = v.object(usageFields);
const budgets = budgetKinds;

const agentItem = v.variant('kind', [
  v.object({ kind: v.literal('session'), sessionId: v.string(), model: v.optional(v.string()) }),
  v.object({ kind: v.literal('text'), text: v.string() }),
  v.object({ kind: v.literal('thinking'), text: v.string() }),
  v.object({ kind: v.literal('tool_call'), id: v.string(), name: v.string(), input: v.unknown() }),
  v.object({ kind: v.literal('tool_result'), id: v.string(), ok: v.boolean(), output: v.string() }),
  v.object({ kind: v.literal('usage'), ...usageFields }),
]);

const persistence = v.object({ stored: v.number(), dropped: v.number() });

const fileChange = v.object({
  path: v.string(),
  status: v.picklist(['added', 'modified', 'deleted', 'renamed', 'copied', 'type_changed']),
  additions: v.number(),
  deletions: v.number(),
});

const changes = v.object({
  branch: v.string(),
  baseCommit: v.string(),
  headCommit: v.string(),
  filesChanged: v.array(fileChange),
  pushed: v.boolean(),
  pushError: v.optional(v.string()),
});

const envelope = {
  seq: v.pipe(v.number(), v.description('0, 1, 2 ... within the job; also the SSE id')),
  jobId: v.string(),
  timestamp: v.pipe(v.string(), v.description('ISO 8601')),
};

export const jobEventSchema = v.variant('type', [
  v.object({ type: v.literal('connected'), provider: v.string(), workerId: v.string(), apiVersion: v.string(), ...envelope }),
  v.object({ type: v.literal('message'), stage: v.picklist(['workspace', 'repository', 'session', 'provider', 'publish']), text: v.string(), ...envelope }),
  v.object({
    type: v.literal('github_pull_progress'),
    stage: v.picklist(['clone', 'fetch', 'checkout']),
    phase: v.optional(v.pipe(v.picklist(repoPhases), v.description("git's phase within the stage; each goes from 0 to 100 and never falls"))),
    percent: v.pipe(v.number(), v.description('of the phase')),
    processed: v.number(),
    total: v.number(),
    ...envelope,
  }),
  v.object({ type: v.literal('assistant_message'), sessionId: v.nullable(v.string()), item: agentItem, raw: v.optional(v.unknown()), ...envelope }),
  v.object({
    type: v.literal('completed'),
    sessionId: v.nullable(v.string()),
    result: v.string(),
    durationMs: v.number(),
    numTurns: v.number(),
    usage,
    stopReason: v.pipe(v.picklist(['finished', ...budgets]), v.description('the assistant finished, or ended its turn gracefully at this budget')),
    changes: v.optional(changes),
    persistence: v.optional(persistence),
    ...envelope,
  }),
  v.object({
    type: v.literal('error'),
    code: v.picklist(errorCodes),
    message: v.string(),
    retryable: v.boolean(),
    sessionId: v.optional(v.string()),
    usage: v.optional(usage),
    budget: v.optional(v.pipe(v.picklist(budgets), v.description('BUDGET_EXCEEDED, TIMEOUT (time), PROVIDER_STALLED (silence): the budget crossed'))),
    limit: v.optional(v.pipe(v.number(), v.description('the budget: turns, USD, tokens or milliseconds'))),
    used: v.optional(v.pipe(v.number(), v.description('what the job had used of it'))),
    resetAt: v.optional(v.pipe(v.string(), v.description("USAGE_LIMIT: when the provider's account may be used again (ISO 8601), if it said"))),
    retryAfterMs: v.optional(v.pipe(v.number(), v.description('USAGE_LIMIT: how long to wait before retrying, if the provider said'))),
    persistence: v.optional(persistence),
    ...envelope,
  }),
]);

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameAsDomain: Same<v.InferOutput<typeof jobEventSchema>, JobEvent> = true;
void sameAsDomain;

export const errorBodySchema = v.object({
  error: v.object({
    code: v.picklist(errorCodes),
    message: v.string(),
    issues: v.optional(v.array(v.object({ path: v.string(), message: v.string() }))),
  }),
});
