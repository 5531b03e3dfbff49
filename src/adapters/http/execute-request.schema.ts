import * as v from 'valibot';
import type { ExecuteRequestBody } from '../../domain/execute-request.js';
import { isValidBranchName } from '../../domain/git-ref.js';
import { isWorkspacePath } from '../../domain/workspace-name.js';

// NUL and other control characters have no place in any field; prose may keep tab and newlines.
const controlChars = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const anyControlChar = /[\u0000-\u001f\u007f]/;

const prose = (max: number) =>
  v.pipe(v.string(), v.maxLength(max), v.check((s) => !controlChars.test(s), 'must not contain control characters'));

const line = (max: number) =>
  v.pipe(v.string(), v.maxLength(max), v.check((s) => !anyControlChar.test(s), 'must not contain control characters'));

/** Bearer-style tokens: printable ASCII without spaces. */
const token = v.pipe(v.string(), v.minLength(1), v.maxLength(8192), v.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'));

const identifier = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ -'),
  v.check((s) => s !== '.' && s !== '..', 'must not be . or ..'),
);

// A relative path of plain segments, or an absolute one; the workspace adapter then checks an
// absolute path lies inside WORKSPACE_DIR, where its own segments follow the same rule.
const workspace = v.pipe(
  v.string(),
  v.maxLength(4096),
  v.check(
    (s) => (s.startsWith('/') ? isCleanAbsolute(s) : isWorkspacePath(s)),
    'must be a relative path of [A-Za-z0-9._-] segments, none empty or starting with a dot, or an absolute path inside WORKSPACE_DIR',
  ),
);

function isCleanAbsolute(path: string): boolean {
  const parts = path.slice(1).split('/');
  return !anyControlChar.test(path) && parts.every((part) => part !== '' && part !== '.' && part !== '..');
}

/** An object whose unknown fields are refused by name, so a typo never passes silently. */
const strict = <const T extends v.ObjectEntries>(entries: T) =>
  v.strictObject(entries, (issue) =>
    issue.expected === 'never' ? `unknown field ${issue.received}` : issue.received === 'undefined' ? 'is required' : 'must be an object',
  );

const branch = v.pipe(v.string(), v.check(isValidBranchName, 'must be a valid git branch name'));

const githubSchema = strict({
  repoUrl: v.pipe(line(2048), v.url('must be a URL')),
  branch: v.optional(branch),
  accessToken: v.optional(token),
  push: v.optional(strict({ branch, commitMessage: v.optional(prose(10_000)) })),
});

const databaseSchema = strict({
  sessionId: identifier,
  accessToken: token,
});

const webhookSchema = strict({
  url: v.pipe(line(2048), v.url('must be a URL')),
  // Standard Webhooks secrets: whsec_ and the base64 of 24 to 64 random bytes.
  secret: v.pipe(
    v.string(),
    v.regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'must be a Standard Webhooks secret: whsec_ and the base64 of 24 to 64 random bytes'),
  ),
});

const toolPattern = v.pipe(line(256), v.minLength(1), v.regex(/^[^-]/, 'must not start with -'));

export const providerOptionsSchema = strict({
  model: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._:@/[\]-]{0,127}$/, 'must be a model name'))),
  // Budgets: past one the job ends BUDGET_EXCEEDED; the worker's ceilings are checked at admission.
  maxTurns: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.description("turn budget, at most the worker's MAX_TURNS (default DEFAULT_MAX_TURNS)"))),
  maxCostUsd: v.optional(v.pipe(v.number(), v.gtValue(0, 'must be more than 0'), v.description("cost budget in USD, reported or estimated; at most MAX_COST_USD"))),
  maxTokens: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.description('input plus output tokens; at most MAX_TOKENS'))),
  permissionMode: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z-]{1,32}$/, 'must be a permission mode name'))),
  allowedTools: v.optional(v.pipe(v.array(toolPattern), v.maxLength(200))),
  disallowedTools: v.optional(v.pipe(v.array(toolPattern), v.maxLength(200))),
  appendSystemPrompt: v.optional(prose(100_000)),
  timeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  includeRaw: v.optional(v.boolean()),
  trustRepoSettings: v.optional(v.boolean()),
});

/** POST /execute, API v1. Unknown fields are refused so a typo never passes silently. */
export const executeRequestSchema = strict({
  userRequest: v.pipe(prose(200_000), v.minLength(1, 'must not be empty')),
  codingAssistantProvider: v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,64}$/, 'must be a provider id')),
  codingAssistantAccessToken: v.optional(token),
  resumeSessionId: v.optional(identifier),
  workspace: v.optional(workspace),
  github: v.optional(githubSchema),
  database: v.optional(databaseSchema),
  onDisconnect: v.optional(v.picklist(['cancel', 'continue'], 'must be "cancel" or "continue"')),
  webhook: v.optional(webhookSchema),
  providerOptions: v.optional(providerOptionsSchema),
});

// The schema and the domain's request type must agree: a field added to one only fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameAsDomain: Same<v.InferOutput<typeof executeRequestSchema>, ExecuteRequestBody> = true;
void sameAsDomain;

export type { ExecuteRequestBody };
