import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listAgentDir } from '../../shared/agent-file.js';
import { readSessionFile } from '../session-file.js';
import type { SessionArtifact } from '../../../domain/session.js';
import type { Secret } from '../../../domain/secret.js';

const transcriptArtifact = 'transcript.jsonl';

/**
 * Claude Code keys transcripts by the working directory: every character that is not a
 * letter or digit becomes '-' (/srv/ws.1 -> -srv-ws-1).
 */
export function projectKey(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, '-');
}

/** A job's own HOME for the CLI: created empty, removed when the job ends. */
export class ClaudeHome {
  private constructor(
    readonly home: string,
    readonly configDir: string,
  ) {}

  static async create(root: string, jobId: string, credentials?: Secret): Promise<ClaudeHome> {
    const home = join(root, jobId);
    const configDir = join(home, '.claude');
    await mkdir(configDir, { recursive: true, mode: 0o700 });
    await chmod(home, 0o700);
    if (credentials) {
      await writeFile(join(configDir, '.credentials.json'), credentials.reveal(), { mode: 0o600 });
    }
    return new ClaudeHome(home, configDir);
  }

  /** Puts a saved transcript where the CLI looks for it from `cwd`, which may differ from where it was made. */
  async restore(cwd: string, sessionId: string, artifacts: readonly SessionArtifact[]): Promise<void> {
    const transcript = artifacts.find((artifact) => artifact.name === transcriptArtifact);
    if (!transcript) return;
    const dir = join(this.configDir, 'projects', projectKey(cwd));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, `${sessionId}.jsonl`), transcript.content, { mode: 0o600 });
  }

  /**
   * The session's transcript, wherever the CLI put it; none when the CLI never wrote one. The
   * agent owns this HOME: only real directories are searched, and a transcript that is not a
   * regular file of the HOME's (see readSessionFile) fails the export instead of being read.
   */
  async export(sessionId: string): Promise<SessionArtifact[]> {
    const projects = join(this.configDir, 'projects');
    for (const dir of await listAgentDir(projects)) {
      if (dir.kind !== 'directory') continue;
      const content = await readSessionFile(join(projects, dir.name, `${sessionId}.jsonl`), this.home, 'transcript');
      if (content !== undefined) return [{ name: transcriptArtifact, content }];
    }
    return [];
  }

  async remove(): Promise<void> {
    await rm(this.home, { recursive: true, force: true, maxRetries: 3 });
  }
}
