import { DomainError } from '../../domain/errors.js';

/**
 * git's stderr can echo any file it was tricked into reading, so it never reaches a client:
 * each failure is mapped to a fixed reason. HTTP statuses are matched only as git states them
 * ("returned error: 404"): the message also holds the URL, whose port may contain "401".
 */
const reasons: Array<{ pattern: RegExp; reason: string; retryable: boolean }> = [
  { pattern: /authentication failed|could not read username|returned error: 40[13]\b|terminal prompts disabled/i, reason: 'authentication failed', retryable: false },
  { pattern: /remote branch .* not found|couldn't find remote ref|pathspec .* did not match|invalid reference/i, reason: 'branch missing', retryable: false },
  { pattern: /repository .*not found|not found|returned error: 404\b|does not appear to be a git repository/i, reason: 'repository not found', retryable: false },
  { pattern: /no space left on device|disk quota/i, reason: 'disk full', retryable: false },
  { pattern: /timed out|timeout|could not resolve host|connection refused|failed to connect|network is unreachable|early eof/i, reason: 'network failure', retryable: true },
  { pattern: /not possible to fast-forward|diverging branches|would be overwritten|not something we can merge/i, reason: 'the workspace has diverged from the remote branch', retryable: false },
];

export function gitFailure(error: unknown, action: string): DomainError {
  if (error instanceof DomainError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (/block timeout|timed out after/i.test(text)) {
    return new DomainError('REPO_FAILED', `git ${action} failed: network timeout`, { retryable: true });
  }
  const match = reasons.find((candidate) => candidate.pattern.test(text));
  return new DomainError('REPO_FAILED', `git ${action} failed: ${match?.reason ?? 'git reported an error'}`, {
    retryable: match?.retryable ?? false,
  });
}

/** Push refusals are part of the result (pushed: false), with a reason the client can act on. */
export function pushFailureReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/non-fast-forward|fetch first|rejected.*\(stale info\)/i.test(text)) return 'rejected: the remote branch has commits the push does not';
  if (/protected branch|pre-receive hook declined|hook declined/i.test(text)) return 'rejected by the remote: the branch is protected';
  return gitFailure(error, 'push').message;
}
