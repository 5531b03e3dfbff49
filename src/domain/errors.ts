/** Stable error codes: clients switch on these, so never rename one. */
export const errorCodes = [
  'VALIDATION_FAILED',
  'UNAUTHORIZED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'WORKER_BUSY',
  'NOT_FOUND',
  'NO_RUNNING_JOB',
  'MISSING_CREDENTIALS',
  'WORKSPACE_INVALID',
  'WORKSPACE_TOO_LARGE',
  'SESSION_NOT_FOUND',
  'REPO_FAILED',
  'PROVIDER_UNAVAILABLE',
  'PROVIDER_FAILED',
  'PROVIDER_ERROR',
  'PROVIDER_STALLED',
  'TIMEOUT',
  'BUDGET_EXCEEDED',
  'USAGE_LIMIT',
  'CANCELLED',
  'WORKER_SHUTDOWN',
  'WORKER_LOST',
  'EVENTS_GONE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

const retryableCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'WORKER_BUSY',
  'PROVIDER_ERROR',
  'PROVIDER_STALLED',
  'TIMEOUT',
  'USAGE_LIMIT',
  'WORKER_SHUTDOWN',
  'WORKER_LOST',
  'INTERNAL',
]);

/** Which field of a request is wrong, and why. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** The one error type adapters throw; its message is safe to show a client. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly issues: readonly ValidationIssue[];
  /** Fields the terminal event carries besides code and message (a budget crossed, a reset time). */
  readonly details: Readonly<Record<string, string | number>>;

  constructor(code: ErrorCode, message: string, options?: { retryable?: boolean; issues?: ValidationIssue[]; details?: Record<string, string | number> }) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.retryable = options?.retryable ?? retryableCodes.has(code);
    this.issues = options?.issues ?? [];
    this.details = options?.details ?? {};
  }

  static is(value: unknown, code?: ErrorCode): value is DomainError {
    return value instanceof DomainError && (code === undefined || value.code === code);
  }

  /** Anything thrown becomes a DomainError; an unknown error's message is not trusted. */
  static from(value: unknown): DomainError {
    if (value instanceof DomainError) return value;
    return new DomainError('INTERNAL', 'internal error');
  }
}
