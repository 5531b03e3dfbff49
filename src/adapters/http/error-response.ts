import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ErrorCode } from '../../domain/errors.js';

/** The one map from error codes to HTTP statuses, for answers given before a stream starts. */
const statuses: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  VALIDATION_FAILED: 400,
  MISSING_CREDENTIALS: 400,
  WORKSPACE_INVALID: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  NO_RUNNING_JOB: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WORKER_BUSY: 429,
  WORKER_SHUTDOWN: 503,
  EVENTS_GONE: 410,
  SESSION_NOT_FOUND: 404,
};

export const busyRetryAfterSeconds = 5;

export function errorResponse(c: Context, error: DomainError): Response {
  const status = statuses[error.code] ?? 500;
  if (error.code === 'WORKER_BUSY' || error.code === 'WORKER_SHUTDOWN') {
    c.header('Retry-After', String(busyRetryAfterSeconds));
  }
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.issues.length > 0 ? { issues: error.issues } : {}),
    },
  };
  return c.json(body, status);
}

export const fail = (c: Context, code: ErrorCode, message: string): Response =>
  errorResponse(c, new DomainError(code, message));
