import * as v from 'valibot';

/** A session's or a job's id, as it may appear in a path or a query. */
export const idSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,128}$/));

const seqSchema = v.pipe(v.number(), v.integer(), v.minValue(0));
const chunkSchema = v.object({ seq: seqSchema, type: v.string(), data: v.record(v.string(), v.unknown()), timestamp: v.string() });
export const chunksBody = v.object({ jobId: idSchema, chunks: v.pipe(v.array(chunkSchema), v.maxLength(10_000)) });

export const statusBody = v.object({ status: v.picklist(['running', 'completed', 'error']), jobId: idSchema });

const base64 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9+/]*={0,2}$/));
export const snapshotBody = v.object({
  session: v.object({ provider: v.string(), providerSessionId: v.string(), branch: v.optional(v.string()) }),
  artifacts: v.array(v.object({ name: v.string(), content: v.string() })),
  savedAt: v.number(),
  /** A repository job's uncommitted changes: a binary-safe patch against baseCommit. */
  work: v.optional(v.object({ baseCommit: v.string(), patch: base64, bytes: seqSchema })),
});

export const leaseBody = v.object({
  jobId: idSchema,
  ttlMs: v.pipe(v.number(), v.integer(), v.minValue(1000), v.maxValue(600_000)),
  webhook: v.optional(
    v.object({
      url: v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//)),
      // Standard Webhooks' secret format: the key, base64, after `whsec_` (which libraries also accept left out).
      secret: v.pipe(v.string(), v.regex(/^(whsec_)?[A-Za-z0-9+/]{4,}={0,2}$/)),
    }),
  ),
});

/** A sequence number in a header or a query: digits only, no sign, no exponent. */
export const seqText = v.pipe(
  v.string(),
  v.regex(/^\d{1,15}$/),
  v.transform((text) => Number(text)),
);

/** The first issue's field and message, so a 400 names what was wrong. */
export function describeIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  const path = issue?.path?.map((item) => String(item.key)).join('.');
  return path ? `${path}: ${issue?.message}` : (issue?.message ?? 'invalid');
}
