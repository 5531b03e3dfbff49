import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import type { SessionArtifact } from '../../../domain/session.js';
import type { Secret } from '../../../domain/secret.js';
import { walkAgentTree } from '../../shared/agent-file.js';
import type { UsageBaseline } from '../mapped-output.js';
import { readSessionFile } from '../session-file.js';
import { baselineArtifact, baselineOf } from '../usage-baseline.js';

// Codex names rollouts rollout-<timestamp>-<thread id>.jsonl and finds them by the id alone.
const rolloutName = /^rollout-[\w-]+\.jsonl$/;

/** What config.toml says: the model API, its retries, the sandbox, the model. */
export interface CodexSettings {
  /** An OpenAI-compatible Responses API; without it, Codex's own OpenAI provider. */
  baseUrl?: string;
  maxRetries: number;
  sandbox: string;
  model?: string;
  /** The variable the key is read from. */
  keyVariable: string;
}

/** A job's own CODEX_HOME: config, login and the thread's rollout; removed when the job ends. */
export class CodexHome {
  private constructor(
    readonly home: string,
    readonly codexHome: string,
  ) {}

  static async create(root: string, jobId: string, settings: CodexSettings, authJson?: Secret): Promise<CodexHome> {
    const home = join(root, jobId);
    const codexHome = join(home, '.codex');
    await mkdir(join(codexHome, 'sessions'), { recursive: true, mode: 0o700 });
    await chmod(home, 0o700);
    await writeFile(join(codexHome, 'config.toml'), configToml(settings), { mode: 0o600 });
    if (authJson) await writeFile(join(codexHome, 'auth.json'), authJson.reveal(), { mode: 0o600 });
    return new CodexHome(home, codexHome);
  }

  /** Puts a saved rollout where `codex exec resume` finds it; returns the thread's usage so far. */
  async restore(artifacts: readonly SessionArtifact[]): Promise<UsageBaseline | undefined> {
    for (const artifact of artifacts) {
      if (rolloutName.test(artifact.name)) {
        await writeFile(join(this.codexHome, 'sessions', artifact.name), artifact.content, { mode: 0o600 });
      }
    }
    return baselineOf(artifacts);
  }

  /**
   * The thread's rollout, wherever under sessions/ Codex wrote it, and its usage so far. The
   * agent owns this HOME: the search never follows a symlink, and a rollout that is not a
   * regular file of the HOME's (see readSessionFile) fails the export instead of being read.
   */
  async export(threadId: string, usage: UsageBaseline | undefined): Promise<SessionArtifact[]> {
    const sessions = join(this.codexHome, 'sessions');
    for await (const entry of walkAgentTree(sessions)) {
      if (entry.kind === 'directory' || !entry.name.endsWith(`-${threadId}.jsonl`)) continue;
      const content = await readSessionFile(join(sessions, entry.path), this.home, 'rollout');
      if (content === undefined) return [];
      const artifacts = [{ name: entry.name, content }];
      if (usage) artifacts.push(baselineArtifact(usage));
      return artifacts;
    }
    return [];
  }

  async remove(): Promise<void> {
    await rm(this.home, { recursive: true, force: true, maxRetries: 3 });
  }
}

function configToml(settings: CodexSettings): string {
  const config: Record<string, unknown> = { sandbox_mode: settings.sandbox };
  if (settings.model) config.model = settings.model;
  if (settings.baseUrl) {
    // A provider of our own: the built-in one ignores OPENAI_BASE_URL and tries WebSockets first.
    config.model_provider = 'worker';
    config.model_providers = {
      worker: {
        name: 'worker',
        base_url: settings.baseUrl,
        env_key: settings.keyVariable,
        wire_api: 'responses',
        request_max_retries: settings.maxRetries,
        stream_max_retries: settings.maxRetries,
      },
    };
  }
  return stringify(config);
}
