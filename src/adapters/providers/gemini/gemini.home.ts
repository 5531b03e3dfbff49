import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionArtifact } from '../../../domain/session.js';
import { AgentFileRefused, listAgentDir, readAgentFile } from '../../shared/agent-file.js';
import { maxSessionFileBytes, sessionNotKept } from '../session-file.js';

// The CLI keeps a project's chats under tmp/<project name>/chats; projects.json names the
// project of each working directory. We name every job's project alike, so a chat saved from
// one path is found from another.
const projectName = 'job';
const chatName = /^session-[\w-]+\.jsonl$/;

export interface GeminiSettings {
  maxAttempts: number;
}

/** A job's own GEMINI_CLI_HOME: settings, the project map and the chat; removed when the job ends. */
export class GeminiHome {
  private constructor(
    readonly home: string,
    readonly tmpDir: string,
    private readonly geminiDir: string,
  ) {}

  static async create(root: string, jobId: string, cwd: string, settings: GeminiSettings): Promise<GeminiHome> {
    const home = join(root, jobId);
    const geminiDir = join(home, '.gemini');
    const tmpDir = join(home, 'tmp');
    await mkdir(join(geminiDir, 'tmp', projectName, 'chats'), { recursive: true, mode: 0o700 });
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    await chmod(home, 0o700);
    await writeFile(join(geminiDir, 'settings.json'), JSON.stringify(settingsJson(settings)), { mode: 0o600 });
    await writeFile(join(geminiDir, 'projects.json'), JSON.stringify({ projects: { [cwd]: projectName } }), { mode: 0o600 });
    return new GeminiHome(home, tmpDir, geminiDir);
  }

  get #chats(): string {
    return join(this.geminiDir, 'tmp', projectName, 'chats');
  }

  async restore(artifacts: readonly SessionArtifact[]): Promise<void> {
    for (const artifact of artifacts) {
      if (chatName.test(artifact.name)) await writeFile(join(this.#chats, artifact.name), artifact.content, { mode: 0o600 });
    }
  }

  /**
   * The session's chat file: its first record names the session. The agent owns this HOME: a
   * candidate that is not a regular file of the HOME's is never read; when no regular one is
   * the session's, such a candidate fails the export.
   */
  async export(sessionId: string): Promise<SessionArtifact[]> {
    let refused: AgentFileRefused | undefined;
    for (const { name } of await listAgentDir(this.#chats)) {
      if (!name.endsWith(`-${sessionId.slice(0, 8)}.jsonl`)) continue;
      const bytes = await readAgentFile(join(this.#chats, name), { root: this.home, maxBytes: maxSessionFileBytes }).catch((error: unknown) => {
        if (!(error instanceof AgentFileRefused)) throw error;
        refused ??= error;
        return undefined;
      });
      const content = bytes?.toString('utf8');
      if (content?.slice(0, 200).includes(`"sessionId":"${sessionId}"`)) return [{ name, content }];
    }
    if (refused) throw sessionNotKept('chat', refused);
    return [];
  }

  async remove(): Promise<void> {
    await rm(this.home, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** API-key auth against GOOGLE_GEMINI_BASE_URL, nothing sent anywhere else, few retries. */
function settingsJson(settings: GeminiSettings): object {
  return {
    security: { auth: { selectedType: 'gemini-api-key' } },
    privacy: { usageStatisticsEnabled: false },
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false, maxAttempts: settings.maxAttempts },
    telemetry: { enabled: false },
  };
}
