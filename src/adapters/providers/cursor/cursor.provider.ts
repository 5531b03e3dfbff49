import { chmod, mkdir, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderAvailability, ProviderCapabilities, ProviderEvent, ProviderPort, ProviderRun } from '../../../application/ports/provider.port.js';
import { DomainError } from '../../../domain/errors.js';
import { cliAvailability } from '../cli-availability.js';
import { cliEvents } from '../cli-events.js';
import { CliProcess } from '../cli-process.js';
import { CursorJsonMapper } from './cursor-json.mapper.js';
import type { CliProviderConfig } from '../cli-provider-config.js';

/** cursor-agent is not on the npm registry: `executable` is a command on PATH, or CURSOR_PATH. */
export interface CursorConfig extends CliProviderConfig {
  defaultModel?: string;
}

/**
 * Runs Cursor's CLI headless (`cursor-agent -p --output-format stream-json`), the prompt on
 * stdin. Its chats live in Cursor's own store, which this worker cannot move between replicas:
 * it offers no resume.
 */
export class CursorProvider implements ProviderPort {
  readonly id = 'cursor';
  readonly capabilities: ProviderCapabilities = { options: ['model'], permissionModes: [], resume: false };

  constructor(private readonly config: CursorConfig) {}

  availability(): ProviderAvailability {
    return cliAvailability(this.config.executable, this.config.path, this.config.version);
  }

  hasOwnCredentials(): boolean {
    return false;
  }

  async *run(run: ProviderRun, signal: AbortSignal): AsyncGenerator<ProviderEvent[]> {
    if (!run.accessToken) throw new DomainError('MISSING_CREDENTIALS', 'cursor has no credentials: send codingAssistantAccessToken');
    const cwd = await realpath(run.workdir);
    const home = join(this.config.homesDir, run.jobId);
    await mkdir(home, { recursive: true, mode: 0o700 });
    await chmod(home, 0o700);
    let cli: CliProcess | undefined;
    try {
      const model = run.options.model ?? this.config.defaultModel;
      // Headless runs cannot answer a prompt: --force allows the agent's commands, --trust the workspace.
      const args = ['-p', '--output-format', 'stream-json', '--force', '--trust', `--workspace=${cwd}`, ...(model ? [`--model=${model}`] : [])];
      const env = { PATH: this.config.path, HOME: home, LANG: this.config.lang, CURSOR_API_KEY: run.accessToken.reveal() };
      cli = await CliProcess.launch({ command: this.config.executable, args, cwd, env, stdin: run.prompt, silenceMs: this.config.silenceMs, user: this.config.agentUser, owns: [cwd, home] }, signal);
      yield* cliEvents({ cli, mapper: new CursorJsonMapper(), signal, name: 'cursor', install: 'curl https://cursor.com/install | bash (cursor-agent is not on npm)', silenceMs: this.config.silenceMs });
    } finally {
      await cli?.kill();
      await rm(home, { recursive: true, force: true, maxRetries: 3 });
    }
  }
}
