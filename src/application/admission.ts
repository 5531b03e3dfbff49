import type { JobBudget } from '../domain/budget.js';
import { DomainError, type ValidationIssue } from '../domain/errors.js';
import { err, ok, type Result } from '../domain/result.js';
import type { JobRequest } from './job-request.js';
import type { ProviderOptionName } from './ports/provider.port.js';
import type { JobNotifierPort } from './ports/job-notifier.port.js';
import type { PersistencePort } from './ports/persistence.port.js';
import type { RepoPort } from './ports/repo.port.js';
import type { WorkspacePort } from './ports/workspace.port.js';
import type { ProviderRegistry } from './provider-registry.js';

export interface AdmissionLimits {
  maxJobMs: number;
  budgets: { ceilings: JobBudget };
}

/**
 * What the request schema cannot know: which providers are registered, which options each
 * honours, whether the worker holds credentials, its time limit and its workspace directory.
 */
export function admitRequest(
  request: JobRequest,
  providers: ProviderRegistry,
  repo: RepoPort,
  persistence: PersistencePort,
  notifier: JobNotifierPort,
  workspace: WorkspacePort,
  limits: AdmissionLimits,
): Result<JobRequest, DomainError> {
  if (!providers.has(request.provider)) {
    return err(invalid('codingAssistantProvider', `must be one of: ${providers.ids.join(', ')}`));
  }
  const provider = providers.get(request.provider);
  const issues: ValidationIssue[] = [];
  for (const [name, value] of Object.entries(request.options)) {
    if (value !== undefined && !provider.capabilities.options.includes(name as ProviderOptionName)) {
      issues.push({ path: `providerOptions.${name}`, message: `not supported by provider ${provider.id}` });
    }
  }
  const mode = request.options.permissionMode;
  if (mode !== undefined && !provider.capabilities.permissionModes.includes(mode)) {
    issues.push({
      path: 'providerOptions.permissionMode',
      message: `provider ${provider.id} accepts: ${provider.capabilities.permissionModes.join(', ')}`,
    });
  }
  if (request.resumeSessionId !== undefined && !provider.capabilities.resume) {
    issues.push({ path: 'resumeSessionId', message: `provider ${provider.id} cannot resume a session on another replica` });
  }
  if (request.timeoutMs !== undefined && request.timeoutMs > limits.maxJobMs) {
    issues.push({ path: 'providerOptions.timeoutMs', message: `must be at most ${limits.maxJobMs}` });
  }
  for (const name of ['maxTurns', 'maxCostUsd', 'maxTokens'] as const) {
    const [asked, ceiling] = [request.budget[name], limits.budgets.ceilings[name]];
    if (asked !== undefined && ceiling !== undefined && asked > ceiling) {
      issues.push({ path: `providerOptions.${name}`, message: `must be at most ${ceiling}, this worker's ceiling` });
    }
  }
  if (request.database && !persistence.enabled) {
    issues.push({ path: 'database', message: 'this worker has no database configured (DB_BASE_URL)' });
  }
  if (request.workspace !== undefined) issues.push(...workspace.validate(request.workspace));
  if (request.github) {
    issues.push(...repo.validate(request.github).map((issue) => ({ ...issue, path: `github.${issue.path}` })));
  }
  if (request.webhook) {
    issues.push(...notifier.validate(request.webhook).map((issue) => ({ ...issue, path: `webhook.${issue.path}` })));
  }
  if (issues.length > 0) {
    return err(new DomainError('VALIDATION_FAILED', 'the request is invalid', { issues }));
  }
  if (!request.accessToken && !provider.hasOwnCredentials()) {
    return err(
      new DomainError('MISSING_CREDENTIALS', `provider ${provider.id} needs codingAssistantAccessToken`, {
        issues: [{ path: 'codingAssistantAccessToken', message: 'required: this worker holds no credentials of its own' }],
      }),
    );
  }
  return ok(request);
}

function invalid(path: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', 'the request is invalid', { issues: [{ path, message }] });
}
