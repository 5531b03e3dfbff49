import { isoOfEpochSeconds, retryAfterHeader, type UsageLimitReset } from '../usage-limit.js';

/**
 * When a rate-limited account can be used again, from what opencode 1.18 prints in its final
 * error line: the model API's response headers and raw body. Of `retry-after-ms` and
 * `retry-after` the longer wait counts: opencode has already given up, and a quota answer
 * can carry both (50 ms for the client's retry loop, 7200 s for the account). The reset time
 * is an OpenAI-style body `error.resets_at` (epoch seconds or ISO), Anthropic's
 * `anthropic-ratelimit-unified-reset` (epoch seconds) or a `retry-after` HTTP date.
 */
export function opencodeLimitReset(data: Record<string, unknown>): UsageLimitReset {
  const headers = stringsOf(data.responseHeaders);
  const retryAfter = retryAfterHeader(headers['retry-after']);
  const waits = [Number(headers['retry-after-ms']), retryAfter.retryAfterMs ?? 0].filter((ms) => ms > 0);
  const resetAt = bodyResetsAt(data.responseBody) ?? isoOfEpochSeconds(Number(headers['anthropic-ratelimit-unified-reset']) || undefined) ?? retryAfter.resetAt;
  return { resetAt, retryAfterMs: waits.length > 0 ? Math.max(...waits) : undefined };
}

function stringsOf(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).flatMap(([name, text]) => (typeof text === 'string' ? [[name.toLowerCase(), text]] : [])));
}

function bodyResetsAt(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const resetsAt = (parsed as { error?: { resets_at?: unknown } } | null)?.error?.resets_at;
  if (typeof resetsAt === 'number') return isoOfEpochSeconds(resetsAt);
  if (typeof resetsAt === 'string' && !Number.isNaN(Date.parse(resetsAt))) return new Date(Date.parse(resetsAt)).toISOString();
  return undefined;
}
