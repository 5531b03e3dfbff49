import * as v from 'valibot';

// The CLI adds fields between versions: every object is loose, only what the mapper reads is named.

// Content blocks are only checked for their `type` here: the mapper reads each kind's fields
// with typeof checks. A union of block schemas per block cost more than the rest of the relay.
const block = v.looseObject({ type: v.string() });

export const assistantBlockSchema = block;

const usageSchema = v.looseObject({
  input_tokens: v.optional(v.number(), 0),
  output_tokens: v.optional(v.number(), 0),
  cache_creation_input_tokens: v.optional(v.nullable(v.number()), 0),
  cache_read_input_tokens: v.optional(v.nullable(v.number()), 0),
});

export const systemLineSchema = v.looseObject({
  type: v.literal('system'),
  subtype: v.string(),
  session_id: v.optional(v.string()),
  model: v.optional(v.string()),
  attempt: v.optional(v.number()),
  max_retries: v.optional(v.number()),
  error_status: v.optional(v.nullable(v.number())),
  error: v.optional(v.unknown()),
});

export const assistantLineSchema = v.looseObject({
  type: v.literal('assistant'),
  session_id: v.optional(v.string()),
  message: v.looseObject({ model: v.optional(v.string()), content: v.array(assistantBlockSchema) }),
});

export const userLineSchema = v.looseObject({
  type: v.literal('user'),
  session_id: v.optional(v.string()),
  // Tool results come as an array; the string form (a plain user turn) is the rare one.
  message: v.looseObject({ content: v.union([v.array(block), v.string()]) }),
});

export const resultLineSchema = v.looseObject({
  type: v.literal('result'),
  subtype: v.string(),
  is_error: v.boolean(),
  session_id: v.optional(v.string()),
  result: v.optional(v.string(), ''),
  num_turns: v.optional(v.number(), 0),
  usage: v.optional(usageSchema),
  total_cost_usd: v.optional(v.nullable(v.number())),
  api_error_status: v.optional(v.nullable(v.number())),
  errors: v.optional(v.array(v.unknown())),
});

// With an OAuth token the CLI reports the account's limit state; status "rejected" means it is used up.
export const rateLimitEventLineSchema = v.looseObject({
  type: v.literal('rate_limit_event'),
  session_id: v.optional(v.string()),
  rate_limit_info: v.optional(
    v.looseObject({ status: v.optional(v.string()), resetsAt: v.optional(v.number()), rateLimitType: v.optional(v.string()) }),
  ),
});

/** One stdout line of `claude -p --output-format stream-json --verbose`. */
const streamJsonLineSchema = v.variant('type', [systemLineSchema, assistantLineSchema, userLineSchema, resultLineSchema, rateLimitEventLineSchema]);

export type StreamJsonLine = v.InferOutput<typeof streamJsonLineSchema>;

const lineSchemas = new Map<unknown, v.GenericSchema<unknown, StreamJsonLine>>([
  ['system', systemLineSchema],
  ['assistant', assistantLineSchema],
  ['user', userLineSchema],
  ['result', resultLineSchema],
  ['rate_limit_event', rateLimitEventLineSchema],
]);

/**
 * The schema for a line's own `type`, or undefined for a type the mapper does not know: the
 * same checks as streamJsonLineSchema, without valibot's variant search, which costs a few
 * percent of the relay on every line.
 */
export const schemaForLine = (raw: unknown): v.GenericSchema<unknown, StreamJsonLine> | undefined =>
  typeof raw === 'object' && raw !== null ? lineSchemas.get((raw as { type?: unknown }).type) : undefined;
export type AssistantBlock = v.InferOutput<typeof assistantBlockSchema>;
export type ResultLine = v.InferOutput<typeof resultLineSchema>;
