import type { AgentUser } from './agent-user.js';

/** What every CLI provider is configured with; each adds its own settings. */
export interface CliProviderConfig {
  /** A command on PATH, or an absolute path. */
  executable: string;
  /** The installed CLI's version, when known. */
  version?: string;
  /** Where per-job HOMEs are made. */
  homesDir: string;
  /** A CLI silent this long is stopped with PROVIDER_STALLED; 0 never. */
  silenceMs: number;
  /** PATH and LANG the CLI runs with. */
  path: string;
  lang: string;
  /** Run the CLI as this user, apart from the worker's. */
  agentUser?: AgentUser;
}
