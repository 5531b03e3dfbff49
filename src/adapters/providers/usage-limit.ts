import { DomainError } from '../../domain/errors.js';

/** When the account can be used again, as far as the CLI said: both optional. */
export interface UsageLimitReset {
  /** ISO 8601. */
  resetAt?: string;
  retryAfterMs?: number;
}

/**
 * The provider account hit its usage, quota or rate limit. A reset in the past is dropped:
 * it tells the client nothing it can wait for.
 */
export function usageLimit(text: string, reset: UsageLimitReset = {}, now: number = Date.now()): DomainError {
  const details: Record<string, string | number> = {};
  if (reset.resetAt !== undefined && Date.parse(reset.resetAt) > now) details.resetAt = reset.resetAt;
  if (reset.retryAfterMs !== undefined && reset.retryAfterMs > 0) details.retryAfterMs = Math.round(reset.retryAfterMs);
  return new DomainError('USAGE_LIMIT', `the provider account is over its usage or rate limit: ${text}`, { details });
}

/** An epoch time in seconds (what Anthropic and OpenAI send) as ISO 8601; undefined for anything else. */
export function isoOfEpochSeconds(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? new Date(value * 1000).toISOString() : undefined;
}

/** "Suggested retry after 3600s." / "Please retry in 39.5s." / "retry after 500ms" as milliseconds. */
export function retryAfterMsIn(text: string): number | undefined {
  const match = /retry (?:after|in) ([\d.]+)\s*(ms|s)\b/i.exec(text);
  if (!match) return undefined;
  const amount = Number(match[1]);
  return Number.isFinite(amount) ? amount * (match[2] === 'ms' ? 1 : 1000) : undefined;
}

/**
 * An HTTP `Retry-After` value: delay seconds, or an HTTP date (RFC 9110 §10.2.3), the date
 * becoming a reset time.
 */
export function retryAfterHeader(value: string | undefined): UsageLimitReset {
  if (value === undefined || value.trim() === '') return {};
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return { retryAfterMs: Number(value) * 1000 };
  const date = Date.parse(value);
  return Number.isNaN(date) ? {} : { resetAt: new Date(date).toISOString() };
}

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * A wall-clock time in UTC as a CLI prints it: "5:25 PM" (today) or "Dec 3rd, 2026 9:25 PM"
 * (Codex's `%-I:%M %p` and `%b %-d{st|nd|rd|th}, %Y %-I:%M %p`). Undefined when unparseable.
 */
export function utcClockTime(text: string, now: number = Date.now()): string | undefined {
  const match = /^(?:([A-Za-z]{3})[a-z]* (\d{1,2})(?:st|nd|rd|th)?,? (\d{4}),? )?(\d{1,2}):(\d{2})\s*([AaPp][Mm])$/.exec(text.trim());
  if (!match) return undefined;
  const [, monthName, day, year, hour, minute, meridiem] = match;
  const h = Number(hour);
  const m = Number(minute);
  if (h < 1 || h > 12 || m > 59) return undefined;
  const hours = (h % 12) + (meridiem!.toLowerCase() === 'pm' ? 12 : 0);
  const today = new Date(now);
  const month = monthName === undefined ? today.getUTCMonth() : months.indexOf(monthName.toLowerCase());
  if (month < 0) return undefined;
  const date = new Date(
    Date.UTC(year === undefined ? today.getUTCFullYear() : Number(year), month, day === undefined ? today.getUTCDate() : Number(day), hours, m),
  );
  // Date.UTC rolls Feb 30th over into March: a date that moved was not a date.
  if (day !== undefined && date.getUTCDate() !== Number(day)) return undefined;
  return date.toISOString();
}
