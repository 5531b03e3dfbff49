import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionArtifact } from '../../../domain/session.js';
import { readAgentFileSync } from '../../shared/agent-file.js';
import type { UsageBaseline } from '../mapped-output.js';
import { readSessionFile } from '../session-file.js';
import { baselineArtifact, baselineOf } from '../usage-baseline.js';

// A usage report names a few models with two counts each: far below this.
const maxUsageFileBytes = 1024 * 1024;

// A session lives in session-state/<id>/: its events and its workspace record are enough to resume it.
const sessionFiles = ['events.jsonl', 'workspace.yaml'];

/** A job's own COPILOT_HOME and XDG dirs; the unpacked CLI cache is shared between jobs. */
export class CopilotHome {
  readonly usageFile: string;

  private constructor(
    readonly home: string,
    private readonly cacheDir: string,
  ) {
    this.usageFile = join(home, 'usage.json');
  }

  static async create(root: string, jobId: string, cacheDir: string): Promise<CopilotHome> {
    const home = join(root, jobId);
    await mkdir(join(home, '.copilot', 'session-state'), { recursive: true, mode: 0o700 });
    await mkdir(join(home, 'tmp'), { recursive: true, mode: 0o700 });
    await chmod(home, 0o700);
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    return new CopilotHome(home, cacheDir);
  }

  get dirs(): Record<string, string> {
    return {
      HOME: this.home,
      COPILOT_HOME: join(this.home, '.copilot'),
      // On its first run per cache dir the CLI unpacks ~235 MB there: one shared dir, unpacked once.
      XDG_CACHE_HOME: this.cacheDir,
      XDG_CONFIG_HOME: join(this.home, 'config'),
      XDG_STATE_HOME: join(this.home, 'state'),
      TMPDIR: join(this.home, 'tmp'),
    };
  }

  #sessionDir(sessionId: string): string {
    return join(this.home, '.copilot', 'session-state', sessionId);
  }

  /** Puts a saved session back; returns its usage so far. */
  async restore(sessionId: string, artifacts: readonly SessionArtifact[]): Promise<UsageBaseline | undefined> {
    const dir = this.#sessionDir(sessionId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const artifact of artifacts) {
      if (sessionFiles.includes(artifact.name)) await writeFile(join(dir, artifact.name), artifact.content, { mode: 0o600 });
    }
    return baselineOf(artifacts);
  }

  async export(sessionId: string, usage: UsageBaseline | undefined): Promise<SessionArtifact[]> {
    const artifacts: SessionArtifact[] = [];
    for (const name of sessionFiles) {
      // The agent owns this HOME: a file that is not a regular one of the HOME's fails the export.
      const content = await readSessionFile(join(this.#sessionDir(sessionId), name), this.home, name);
      if (content !== undefined) artifacts.push({ name, content });
    }
    if (artifacts.length > 0 && usage) artifacts.push(baselineArtifact(usage));
    return artifacts;
  }

  /**
   * The session's token counts so far, from the file --usage-output-file names; none when it is
   * missing or not a small regular file of the HOME's (the agent can write there).
   */
  readUsage(): UsageBaseline | undefined {
    try {
      const report = JSON.parse(readAgentFileSync(this.usageFile, { root: this.home, maxBytes: maxUsageFileBytes })?.toString('utf8') ?? '') as {
        modelMetrics?: Record<string, { usage?: { inputTokens?: number; outputTokens?: number } }>;
      };
      const models = Object.values(report.modelMetrics ?? {});
      return {
        inputTokens: models.reduce((sum, model) => sum + (model.usage?.inputTokens ?? 0), 0),
        outputTokens: models.reduce((sum, model) => sum + (model.usage?.outputTokens ?? 0), 0),
      };
    } catch {
      return undefined;
    }
  }

  async remove(): Promise<void> {
    await rm(this.home, { recursive: true, force: true, maxRetries: 3 });
  }
}
