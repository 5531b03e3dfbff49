import type { Secret } from '../../../domain/secret.js';

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
  };
  const token = input.accessToken?.reveal();
  if (token) env[codexKeyVariable] = token;
  return env;
}
