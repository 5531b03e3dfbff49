import { DomainError } from '../../domain/errors.js';
import { usageLimit, type UsageLimitReset } from './usage-limit.js';

/**
 * A failure the model API reported through the CLI: with its HTTP status, retryable as HTTP
 * says (408, 5xx); without one, retryable, since nothing says it is permanent. A 429 the CLI
 * gave up on is USAGE_LIMIT: whether quota or rate limit, the account cannot be used for now.
 */
export function modelApiFailure(status: number | undefined, text: string, reset?: UsageLimitReset, now?: number): DomainError {
  if (status === 429) return usageLimit(text, reset, now);
  if (status === undefined) return new DomainError('PROVIDER_ERROR', `the assistant failed: ${text}`);
  const retryable = status === 408 || status >= 500;
  return new DomainError('PROVIDER_ERROR', `the model API answered ${status}: ${text}`, { retryable });
}

export const sessionNotFound = (): DomainError => new DomainError('SESSION_NOT_FOUND', 'the assistant has no such session to resume');
