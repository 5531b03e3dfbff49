import type { JobRequest } from '../../application/job-request.js';
import { Secret } from '../../domain/secret.js';
import type { ExecuteRequestBody } from './execute-request.schema.js';

const secret = (value: string | undefined): Secret | undefined => (value === undefined ? undefined : new Secret(value));

/** The validated body as the use case's request: every credential becomes a Secret here. */
export function toJobRequest(body: ExecuteRequestBody): JobRequest {
  const { timeoutMs, includeRaw, maxTurns, maxCostUsd, maxTokens, ...options } = body.providerOptions ?? {};
  return {
    userRequest: body.userRequest,
    provider: body.codingAssistantProvider,
    accessToken: secret(body.codingAssistantAccessToken),
    resumeSessionId: body.resumeSessionId,
    workspace: body.workspace,
    github: body.github && { ...body.github, accessToken: secret(body.github.accessToken) },
    database: body.database && { sessionId: body.database.sessionId, accessToken: new Secret(body.database.accessToken) },
    onDisconnect: body.onDisconnect ?? 'cancel',
    ...(body.webhook && { webhook: { url: body.webhook.url, secret: new Secret(body.webhook.secret) } }),
    options,
    timeoutMs,
    budget: { maxTurns, maxCostUsd, maxTokens },
    includeRaw: includeRaw ?? false,
  };
}
