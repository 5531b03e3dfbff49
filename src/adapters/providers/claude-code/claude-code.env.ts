import type { Secret } from '../../../domain/secret.js';

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
