import type { Secret } from '../../../domain/secret.js';

export interface GeminiEnvInput {
  home: string;
  tmpDir: string;
  path: string;
  lang: string;
  accessToken?: Secret;
  baseUrl?: string;
}

/** The child's whole environment, from an allowlist: nothing of the worker's own reaches it. */
export function geminiEnv(input: GeminiEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH: input.path,
    HOME: input.home,
    LANG: input.lang,
    GEMINI_CLI_HOME: input.home,
    // Its error reports go to the temp dir: keep them in the job's HOME, which is removed.
    TMPDIR: input.tmpDir,
    // The default launcher re-spawns the CLI and swallows SIGTERM; without it a signal ends the run.
    GEMINI_CLI_NO_RELAUNCH: 'true',
  };
  if (input.baseUrl) env.GOOGLE_GEMINI_BASE_URL = input.baseUrl;
  const token = input.accessToken?.reveal();
  if (token) env.GEMINI_API_KEY = token;
  return env;
}
