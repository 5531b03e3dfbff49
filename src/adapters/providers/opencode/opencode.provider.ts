import { realpath } from 'node:fs/promises';
import type { ProviderAvailability, ProviderCapabilities, ProviderEvent, ProviderPort, ProviderRun } from '../../../application/ports/provider.port.js';
import { DomainError } from '../../../domain/errors.js';
import { cliEvents } from '../cli-events.js';
import { cliAvailability } from '../cli-availability.js';
import { CliProcess } from '../cli-process.js';
import { OpencodeJsonMapper } from './opencode-json.mapper.js';
import { OpencodeHome } from './opencode.home.js';
import { opencodeTarget } from './opencode.setup.js';
import type { CliProviderConfig } from '../cli-provider-config.js';

export interface OpencodeConfig extends CliProviderConfig {
  /** An OpenAI-compatible Chat Completions base URL (with /v1); unset means opencode's built-in providers. */
  baseUrl?: string;
  defaultModel?: string;
}

/** Runs opencode headless (`opencode run --format json`), the prompt on stdin. */
export class OpencodeProvider implements ProviderPort {
  readonly id = 'opencode';
  readonly capabilities: ProviderCapabilities = { options: ['model', 'trustRepoSettings'], permissionModes: [], resume: true };

  constructor(private readonly config: OpencodeConfig) {}

  availability(): ProviderAvailability {
    return cliAvailability(this.config.executable, this.config.path, this.config.version);
  }

  hasOwnCredentials(): boolean {
    return false;
  }

  async *run(run: ProviderRun, signal: AbortSignal): AsyncGenerator<ProviderEvent[]> {
    if (!run.accessToken) throw new DomainError('MISSING_CREDENTIALS', 'opencode has no credentials: send codingAssistantAccessToken');
    const target = opencodeTarget(run.options.model ?? this.config.defaultModel, this.config.baseUrl);
    const cwd = await realpath(run.workdir);
    const home = await OpencodeHome.create(this.config.homesDir, run.jobId);
    const env: Record<string, string> = {
      PATH: this.config.path,
      LANG: this.config.lang,
      ...home.dirs,
      OPENCODE_CONFIG_CONTENT: JSON.stringify(target.config),
      // Nothing fetched or shared at start, no plugins installed from the registry.
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
      [target.keyVariable]: run.accessToken.reveal(),
    };
    // A cloned repository's opencode.json can add MCP servers and commands: off unless trusted.
    if (!run.options.trustRepoSettings) env.OPENCODE_DISABLE_PROJECT_CONFIG = '1';
    const resumeId = run.resume?.session.providerSessionId;
    const mapper = new OpencodeJsonMapper(Date.now, target.model);
    let cli: CliProcess | undefined;
    try {
      if (run.resume) await home.restore(this.config.executable, cwd, env, run.resume.artifacts).catch(() => undefined);
      const args = ['run', '--format=json', `--model=${target.model}`, ...(resumeId ? [`--session=${resumeId}`] : [])];
      cli = await CliProcess.launch({ command: this.config.executable, args, cwd, env, stdin: run.prompt, silenceMs: this.config.silenceMs, user: this.config.agentUser, owns: [cwd, home.home] }, signal);
      yield* cliEvents({ cli, mapper, signal, name: 'opencode', install: 'npm install opencode-ai', silenceMs: this.config.silenceMs });
    } finally {
      await cli?.kill();
      const sessionId = mapper.sessionId ?? resumeId;
      if (sessionId) {
        // Exported even after a cancel; a session that could not be exported keeps what it had.
        const artifacts = await home.export(this.config.executable, cwd, env, sessionId, this.config.agentUser);
        await run.saveSession(sessionId, artifacts.length > 0 ? artifacts : (run.resume?.artifacts ?? []));
      }
      await home.remove();
    }
  }
}
