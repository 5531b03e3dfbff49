/** Structured logs; callers pass fields, never secrets. */
export interface LoggerPort {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
