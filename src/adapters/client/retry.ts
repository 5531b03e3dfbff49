/** How long to keep knocking on a busy or restarting worker. */
export interface RetryOptions {
  /** Give up once this much time has passed since the first attempt. Default 60 s. */
  deadlineMs?: number;
  baseMs?: number;
  maxMs?: number;
}

// Behind a pool, these mean "another replica, or this one in a moment".
const retryableStatuses = new Set([429, 502, 503]);

export const isRetryableStatus = (status: number): boolean => retryableStatuses.has(status);

/** Exponential backoff with full jitter, or the server's Retry-After when it gives one. */
export function retryDelay(attempt: number, retryAfter: string | null, { baseMs = 250, maxMs = 5000 }: RetryOptions): number {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 60_000);
  return Math.random() * Math.min(maxMs, baseMs * 2 ** attempt);
}

/** A connection the worker refused or reset: the replica is restarting. */
export function isConnectionFailure(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return error instanceof TypeError && ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes(cause?.code ?? '');
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
