/** Inversify service identifiers; the container is the only place that binds them. */
export const Tokens = {
  Config: Symbol.for('unified-worker.Config'),
  Logger: Symbol.for('unified-worker.Logger'),
  Redactor: Symbol.for('unified-worker.Redactor'),
  Clock: Symbol.for('unified-worker.Clock'),
  Metrics: Symbol.for('unified-worker.Metrics'),
  Providers: Symbol.for('unified-worker.Providers'),
  Workspace: Symbol.for('unified-worker.Workspace'),
  Repo: Symbol.for('unified-worker.Repo'),
  Sessions: Symbol.for('unified-worker.Sessions'),
  Persistence: Symbol.for('unified-worker.Persistence'),
  JobSlot: Symbol.for('unified-worker.JobSlot'),
  Readiness: Symbol.for('unified-worker.Readiness'),
  ExecutionUseCase: Symbol.for('unified-worker.ExecutionUseCase'),
  HttpApp: Symbol.for('unified-worker.HttpApp'),
} as const;
