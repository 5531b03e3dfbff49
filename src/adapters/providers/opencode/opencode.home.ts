import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionArtifact } from '../../../domain/session.js';
import type { AgentUser } from '../agent-user.js';
import { CliProcess } from '../cli-process.js';
import { maxSessionFileBytes } from '../session-file.js';

const exportArtifact = 'session.json';
const commandTimeoutMs = 60_000;
const sessionIdShape = /^ses_[A-Za-z0-9]+$/;

/**
 * A job's own HOME and XDG dirs for opencode, whose sessions live in a sqlite database there:
 * `opencode export` and `opencode import` move one session between replicas.
 */
export class OpencodeHome {
  private constructor(readonly home: string) {}

  static async create(root: string, jobId: string): Promise<OpencodeHome> {
    const home = join(root, jobId);
    await mkdir(join(home, 'tmp'), { recursive: true, mode: 0o700 });
    await chmod(home, 0o700);
    return new OpencodeHome(home);
  }

  /** HOME, the XDG dirs and the temp dir, all inside the job's home. */
  get dirs(): Record<string, string> {
    return {
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, 'config'),
      XDG_DATA_HOME: join(this.home, 'data'),
      XDG_CACHE_HOME: join(this.home, 'cache'),
      XDG_STATE_HOME: join(this.home, 'state'),
      TMPDIR: join(this.home, 'tmp'),
    };
  }

  async restore(executable: string, cwd: string, env: Record<string, string>, artifacts: readonly SessionArtifact[]): Promise<void> {
    const session = artifacts.find((artifact) => artifact.name === exportArtifact);
    if (!session) return;
    const file = join(this.home, 'tmp', exportArtifact);
    await writeFile(file, session.content, { mode: 0o600 });
    await capture(executable, ['import', file], cwd, env);
  }

  /**
   * The session as `opencode export` prints it. It runs as the agent's user when there is one:
   * it reads the database and the configuration in this HOME, which the agent could write (a
   * symlink to a file of root's, a plugin in its config), so with no more rights than the agent.
   */
  async export(executable: string, cwd: string, env: Record<string, string>, sessionId: string, user?: AgentUser): Promise<SessionArtifact[]> {
    try {
      // Not after `--`: opencode then asks which session to export. The id is checked instead.
      if (!sessionIdShape.test(sessionId)) return [];
      const stdout = await capture(executable, ['export', sessionId], cwd, env, user);
      return stdout.startsWith('{') ? [{ name: exportArtifact, content: stdout }] : [];
    } catch {
      // A session the CLI never stored has nothing to export.
      return [];
    }
  }

  async remove(): Promise<void> {
    await rm(this.home, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * Runs an opencode command to its end with stdin closed (an open stdin makes opencode wait) and
 * returns its stdout, which may be at most maxSessionFileBytes, like any session file.
 */
async function capture(command: string, args: string[], cwd: string, env: Record<string, string>, user?: AgentUser): Promise<string> {
  const cli = CliProcess.start({ command, args, cwd, env, maxLineBytes: maxSessionFileBytes, ...(user && { user }) }, AbortSignal.timeout(commandTimeoutMs));
  const lines: string[] = [];
  let bytes = 0;
  for await (const line of cli.lines()) {
    bytes += Buffer.byteLength(line) + 1;
    if (bytes > maxSessionFileBytes) break;
    lines.push(line);
  }
  if (bytes > maxSessionFileBytes || cli.droppedLines > 0) {
    await cli.kill();
    throw new Error(`opencode ${args[0]} printed more than ${maxSessionFileBytes} bytes`);
  }
  const exit = await cli.exit;
  cli.reapGroup();
  if (exit.code !== 0) throw new Error(`opencode ${args[0]} exited with ${exit.code ?? exit.signal}`);
  return lines.join('\n');
}
