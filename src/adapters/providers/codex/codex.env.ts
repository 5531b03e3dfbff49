import type { Secret } from '../../../domain/secret.js';
import type { CredentialProxySpec } from '../../shared/credential-proxy-spec.js';

export interface CodexEnvInput {
  home: string;
  codexHome: string;
  path: string;
  lang: string;
  accessToken?: Secret;
}

/** Codex reads the key for `codex exec` from this variable, and our own provider entry names it too. */
export const codexKeyVariable = 'CODEX_API_KEY';

/**
 * The child's whole environment, from an allowlist. Codex keeps variables whose names hold
 * KEY, SECRET or TOKEN out of the shells it runs, so the key stays with the CLI.
 */
export function codexEnv(input: CodexEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH: input.path,
    HOME: input.home,
    LANG: input.lang,
    CODEX_HOME: input.codexHome,
    // Codex prints a usage limit's reset as a local wall-clock time ("try again at 5:25 PM"): in UTC it can be read back.
    TZ: 'UTC',
  };
  const token = input.accessToken?.reveal();
  if (token) env[codexKeyVariable] = token;
  return env;
}

/** The Responses API, with its /v1, when no CODEX_BASE_URL is configured. */
export const openAiApi = 'https://api.openai.com/v1';

/**
 * The job's credential proxy for a key. Codex sends it as `Authorization: Bearer` and calls
 * `<base_url>/responses` (recorded from codex 0.169.0 against the scripted server), plus
 * `/responses/compact` when it compacts a long thread remotely.
 */
export function codexProxySpec(key: Secret, upstream: string): CredentialProxySpec {
  return {
    upstream,
    paths: ['/responses', '/responses/compact'],
    credential: { header: 'authorization', scheme: 'Bearer', value: key },
    placeholderPrefix: 'sk-proj-',
  };
}
