import * as v from 'valibot';

// Codex adds fields between versions: objects are loose, only what the mapper reads is named.

const usageSchema = v.looseObject({
  input_tokens: v.optional(v.number(), 0),
  cached_input_tokens: v.optional(v.number(), 0),
  output_tokens: v.optional(v.number(), 0),
  reasoning_output_tokens: v.optional(v.number(), 0),
});

/** An item of the thread; the mapper reads each type's fields with typeof checks. */
const itemSchema = v.looseObject({ id: v.string(), type: v.string() });

const errorSchema = v.looseObject({ message: v.optional(v.string(), '') });

/** One stdout line of `codex exec --json`. */
export const codexLineSchema = v.variant('type', [
  v.looseObject({ type: v.literal('thread.started'), thread_id: v.string() }),
  v.looseObject({ type: v.literal('turn.started') }),
  v.looseObject({ type: v.literal('turn.completed'), usage: v.optional(usageSchema) }),
  v.looseObject({ type: v.literal('turn.failed'), error: v.optional(errorSchema) }),
  v.looseObject({ type: v.picklist(['item.started', 'item.updated', 'item.completed']), item: itemSchema }),
  v.looseObject({ type: v.literal('error'), message: v.optional(v.string(), '') }),
]);

export type CodexLine = v.InferOutput<typeof codexLineSchema>;
export type CodexItem = v.InferOutput<typeof itemSchema>;
export type CodexUsage = v.InferOutput<typeof usageSchema>;
