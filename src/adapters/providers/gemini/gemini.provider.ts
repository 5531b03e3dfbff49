import { realpath } from 'node:fs/promises';
import type { ProviderAvailability, ProviderCapabilities, ProviderEvent, ProviderPort, ProviderRun } from '../../../application/ports/provider.port.js';
import { DomainError } from '../../../domain/errors.js';
import { cliEvents } from '../cli-events.js';
import { cliAvailability } from '../cli-availability.js';
import { CliProcess } from '../cli-process.js';
import { GeminiJsonMapper } from './gemini-json.mapper.js';
import { geminiEnv } from './gemini.env.js';
import { GeminiHome } from './gemini.home.js';
import type { CliProviderConfig } from '../cli-provider-config.js';

export interface GeminiConfig extends CliProviderConfig {
  /** A Gemini API base URL; unset means Google's. */
  baseUrl?: string;
  defaultModel?: string;
  /** Attempts per model call, retries included (the CLI's default of 10 takes minutes). */
  maxAttempts: number;
  defaultApprovalMode: string;
}

export const geminiApprovalModes = ['default', 'auto_edit', 'yolo', 'plan'] as const;

/** Runs Google's Gemini CLI headless (`--output-format stream-json`), the prompt on stdin. */
export class GeminiProvider implements ProviderPort {
  readonly id = 'gemini';
  readonly capabilities: ProviderCapabilities = {
    options: ['model', 'permissionMode'],
    permissionModes: geminiApprovalModes,
    resume: true,
  };

  constructor(private readonly config: GeminiConfig) {}

  availability(): ProviderAvailability {
    return cliAvailability(this.config.executable, this.config.path, this.config.version);
  }

  hasOwnCredentials(): boolean {
    return false;
  }

  async *run(run: ProviderRun, signal: AbortSignal): AsyncGenerator<ProviderEvent[]> {
    if (!run.accessToken) throw new DomainError('MISSING_CREDENTIALS', 'gemini has no credentials: send codingAssistantAccessToken');
    const cwd = await realpath(run.workdir);
    const home = await GeminiHome.create(this.config.homesDir, run.jobId, cwd, { maxAttempts: this.config.maxAttempts });
    const resumeId = run.resume?.session.providerSessionId;
    const mapper = new GeminiJsonMapper();
    let cli: CliProcess | undefined;
    try {
      if (run.resume) await home.restore(run.resume.artifacts);
      cli = await CliProcess.launch(
        {
          command: this.config.executable,
          args: this.#args(run, resumeId),
          cwd,
          env: geminiEnv({ home: home.home, tmpDir: home.tmpDir, path: this.config.path, lang: this.config.lang, accessToken: run.accessToken, baseUrl: this.config.baseUrl }),
          stdin: run.prompt,
          silenceMs: this.config.silenceMs,
          user: this.config.agentUser,
          owns: [cwd, home.home],
        },
        signal,
      );
      yield* cliEvents({ cli, mapper, signal, name: 'gemini', install: 'npm install @google/gemini-cli', silenceMs: this.config.silenceMs });
    } finally {
      await cli?.kill();
      const sessionId = mapper.sessionId ?? resumeId;
      try {
        if (sessionId) await run.saveSession(sessionId, await home.export(sessionId));
      } finally {
        await home.remove();
      }
    }
  }

  /** `--prompt=` with the prompt on stdin: headless mode without the prompt in argv. */
  #args(run: ProviderRun, resumeId: string | undefined): string[] {
    const args = ['--skip-trust', '--output-format=stream-json', `--approval-mode=${run.options.permissionMode ?? this.config.defaultApprovalMode}`];
    const model = run.options.model ?? this.config.defaultModel;
    if (model) args.push(`--model=${model}`);
    if (resumeId) args.push(`--resume=${resumeId}`);
    args.push('--prompt=');
    return args;
  }
}
