import type { Secret } from '../../../domain/secret.js';
import type { CredentialProxySpec } from '../../shared/credential-proxy-spec.js';

export interface ClaudeEnvInput {
  home: string;
  configDir: string;
  path: string;
  lang: string;
  accessToken?: Secret;
  baseUrl?: string;
  maxRetries: number;
  /** Lets a root process use bypassPermissions; the container runs as a non-root user instead. */
  sandbox: boolean;
}

/** OAuth tokens from `claude setup-token` start like this; anything else is an API key. */
const oauthTokenPrefix = 'sk-ant-oat';

/** Where the Messages API lives when no gateway is configured. */
export const anthropicApi = 'https://api.anthropic.com';

/**
 * What the CLI calls on the Messages API (recorded from claude 2.1.197 against the scripted
 * server: `HEAD /`, then `POST /v1/messages?beta=true`; count_tokens for /context and compaction).
 */
const messagesPaths = ['/v1/messages', '/v1/messages/count_tokens'];

/**
 * The job's credential proxy for this token. The CLI sends an API key as `x-api-key` and an
 * OAuth token as `Authorization: Bearer` (with the oauth beta flag, which the proxy keeps), so
 * the placeholder keeps the token's kind: `sk-ant-api03-…` or `sk-ant-oat01-…`.
 */
export function claudeProxySpec(token: Secret, upstream: string): CredentialProxySpec {
  const oauth = token.reveal().startsWith(oauthTokenPrefix);
  return {
    upstream,
    paths: messagesPaths,
    credential: oauth ? { header: 'authorization', scheme: 'Bearer', value: token } : { header: 'x-api-key', value: token },
    placeholderPrefix: oauth ? 'sk-ant-oat01-' : 'sk-ant-api03-',
  };
}

/**
 * The child's whole environment, built from an allowlist: nothing of the worker's own
 * environment (its API token, database or GitHub tokens) can reach the assistant.
 */
export function claudeEnv(input: ClaudeEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH: input.path,
    HOME: input.home,
    LANG: input.lang,
    CLAUDE_CONFIG_DIR: input.configDir,
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    // The CLI's default of 10 retries turns a bad key into a three-minute wait.
    CLAUDE_CODE_MAX_RETRIES: String(input.maxRetries),
  };
  if (input.baseUrl) env.ANTHROPIC_BASE_URL = input.baseUrl;
  if (input.sandbox) env.IS_SANDBOX = '1';
  const token = input.accessToken?.reveal();
  if (token) {
    if (token.startsWith(oauthTokenPrefix)) env.CLAUDE_CODE_OAUTH_TOKEN = token;
    else env.ANTHROPIC_API_KEY = token;
  }
  return env;
}
