import { DomainError } from '../../domain/errors.js';

/**
 * A failure the model API reported through the CLI: with its HTTP status, retryable as HTTP
 * says (408, 429, 5xx); without one, retryable, since nothing says it is permanent.
 */
export function modelApiFailure(status: number | undefined, text: string): DomainError {
  if (status === undefined) return new DomainError('PROVIDER_ERROR', `the assistant failed: ${text}`);
  const retryable = status === 408 || status === 429 || status >= 500;
  return new DomainError('PROVIDER_ERROR', `the model API answered ${status}: ${text}`, { retryable });
}

export const sessionNotFound = (): DomainError => new DomainError('SESSION_NOT_FOUND', 'the assistant has no such session to resume');
