import * as v from 'valibot';

// The CLI adds fields between versions: objects are loose, only what the mapper reads is named.

const statsSchema = v.looseObject({
  input_tokens: v.optional(v.number(), 0),
  output_tokens: v.optional(v.number(), 0),
});

/** One stdout line of `gemini -p --output-format stream-json`. */
export const geminiLineSchema = v.variant('type', [
  v.looseObject({ type: v.literal('init'), session_id: v.string(), model: v.optional(v.string()) }),
  v.looseObject({
    type: v.literal('message'),
    role: v.string(),
    content: v.optional(v.string(), ''),
    delta: v.optional(v.boolean(), false),
  }),
  v.looseObject({ type: v.literal('tool_use'), tool_id: v.string(), tool_name: v.string(), parameters: v.optional(v.unknown()) }),
  v.looseObject({
    type: v.literal('tool_result'),
    tool_id: v.string(),
    status: v.string(),
    output: v.optional(v.unknown()),
    error: v.optional(v.looseObject({ message: v.optional(v.string()) })),
  }),
  v.looseObject({ type: v.literal('error'), message: v.optional(v.string(), '') }),
  v.looseObject({
    type: v.literal('result'),
    status: v.string(),
    error: v.optional(v.looseObject({ message: v.optional(v.string(), '') })),
    stats: v.optional(statsSchema),
  }),
]);

export type GeminiLine = v.InferOutput<typeof geminiLineSchema>;
