import { randomUUID } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import type { ProviderAvailability, ProviderCapabilities, ProviderEvent, ProviderPort, ProviderRun } from '../../../application/ports/provider.port.js';
import { DomainError } from '../../../domain/errors.js';
import { cliEvents } from '../cli-events.js';
import { cliAvailability } from '../cli-availability.js';
import { CliProcess } from '../cli-process.js';
import { CopilotJsonMapper } from './copilot-json.mapper.js';
import { CopilotHome } from './copilot.home.js';
import type { CliProviderConfig } from '../cli-provider-config.js';

export interface CopilotConfig extends CliProviderConfig {
  /** Where the CLI unpacks itself on first run; shared by every job of the worker. */
  cacheDir: string;
  /** An OpenAI-compatible endpoint of the operator's (bring your own key); unset means GitHub Copilot itself. */
  baseUrl?: string;
  defaultModel?: string;
}

/** Runs GitHub's Copilot CLI headless (`--output-format json`), the prompt on stdin. */
export class CopilotProvider implements ProviderPort {
  readonly id = 'copilot';
  readonly capabilities: ProviderCapabilities = { options: ['model', 'trustRepoSettings'], permissionModes: [], resume: true };

  constructor(private readonly config: CopilotConfig) {}

  availability(): ProviderAvailability {
    return cliAvailability(this.config.executable, this.config.path, this.config.version);
  }

  hasOwnCredentials(): boolean {
    return false;
  }

  async *run(run: ProviderRun, signal: AbortSignal): AsyncGenerator<ProviderEvent[]> {
    if (!run.accessToken) throw new DomainError('MISSING_CREDENTIALS', 'copilot has no credentials: send codingAssistantAccessToken');
    const cwd = await realpath(run.workdir);
    const home = await CopilotHome.create(this.config.homesDir, run.jobId, this.config.cacheDir);
    const resumeId = run.resume?.session.providerSessionId;
    const sessionId = resumeId ?? randomUUID();
    let cli: CliProcess | undefined;
    const baseline = run.resume ? await home.restore(sessionId, run.resume.artifacts) : undefined;
    const mapper = new CopilotJsonMapper({ sessionId, baseline, readUsage: () => home.readUsage() });
    try {
      const keyVariable = this.config.baseUrl ? 'COPILOT_PROVIDER_API_KEY' : 'COPILOT_GITHUB_TOKEN';
      const model = run.options.model ?? this.config.defaultModel;
      const env: Record<string, string> = {
        PATH: this.config.path,
        LANG: this.config.lang,
        ...home.dirs,
        COPILOT_AUTO_UPDATE: 'false',
        [keyVariable]: run.accessToken.reveal(),
        ...(this.config.baseUrl ? { COPILOT_OFFLINE: 'true', COPILOT_PROVIDER_BASE_URL: this.config.baseUrl } : {}),
        ...(model ? { COPILOT_MODEL: model } : {}),
      };
      const args = [
        '--output-format=json',
        // Headless runs cannot answer a permission prompt: the job's own workspace is the boundary.
        '--allow-all-tools',
        '--disable-client-telemetry',
        resumeId ? `--resume=${resumeId}` : `--session-id=${sessionId}`,
        `--usage-output-file=${home.usageFile}`,
        // Kept out of the shells and MCP servers the agent starts, and masked in its output.
        `--secret-env-vars=${keyVariable}`,
        ...(run.options.trustRepoSettings ? ['--trust-folder'] : []),
      ];
      cli = await CliProcess.launch({ command: this.config.executable, args, cwd, env, stdin: run.prompt, silenceMs: this.config.silenceMs, user: this.config.agentUser, owns: [cwd, home.home] }, signal);
      yield* cliEvents({ cli, mapper, signal, name: 'copilot', install: 'npm install @github/copilot', silenceMs: this.config.silenceMs });
    } finally {
      await cli?.kill();
      try {
        const artifacts = await home.export(sessionId, mapper.cumulativeUsage ?? baseline);
        if (artifacts.length > 0) await run.saveSession(sessionId, artifacts);
      } finally {
        await home.remove();
      }
    }
  }
}
