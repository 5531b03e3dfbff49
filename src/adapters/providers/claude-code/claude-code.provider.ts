import { randomUUID } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import type {
  ProviderAvailability,
  ProviderCapabilities,
  ProviderEvent,
  ProviderPort,
  ProviderRun,
} from '../../../application/ports/provider.port.js';
import { Secret } from '../../../domain/secret.js';
import type { CredentialProxy, StartCredentialProxy } from '../../shared/credential-proxy-spec.js';
import { cliAvailability } from '../cli-availability.js';
import { CliProcess } from '../cli-process.js';
import { cliEvents } from '../cli-events.js';
import { claudeArgs, claudePermissionModes } from './claude-code.args.js';
import { anthropicApi, claudeEnv, claudeProxySpec } from './claude-code.env.js';
import { ClaudeHome } from './claude-code.home.js';
import { StreamJsonMapper } from './stream-json.mapper.js';
import type { CliProviderConfig } from '../cli-provider-config.js';

export interface ClaudeCodeConfig extends CliProviderConfig {
  baseUrl?: string;
  /** The worker's own login (~/.claude/.credentials.json), used when a request brings no token. */
  credentialsJson?: Secret;
  maxRetries: number;
  defaultPermissionMode: string;
  sandbox: boolean;
  /** Starts the job's credential proxy, so the CLI never holds a request's token; unset, the CLI gets the token itself. */
  credentialProxy?: StartCredentialProxy;
}

/** Runs the Claude Code CLI headless (`-p --output-format stream-json`). */
export class ClaudeCodeProvider implements ProviderPort {
  readonly id = 'claude-code';
  readonly capabilities: ProviderCapabilities = {
    options: ['model', 'permissionMode', 'allowedTools', 'disallowedTools', 'appendSystemPrompt', 'trustRepoSettings'],
    permissionModes: claudePermissionModes,
    resume: true,
    nativeMaxTurns: true,
  };

  constructor(private readonly config: ClaudeCodeConfig) {}

  availability(): ProviderAvailability {
    return cliAvailability(this.config.executable, this.config.path, this.config.version);
  }

  hasOwnCredentials(): boolean {
    return this.config.credentialsJson !== undefined;
  }

  async *run(run: ProviderRun, signal: AbortSignal): AsyncGenerator<ProviderEvent[]> {
    const home = await ClaudeHome.create(
      this.config.homesDir,
      run.jobId,
      run.accessToken ? undefined : this.config.credentialsJson,
    );
    const resumeId = run.resume?.session.providerSessionId;
    const sessionId = resumeId ?? randomUUID();
    let cli: CliProcess | undefined;
    let proxy: CredentialProxy | undefined;
    try {
      const cwd = await realpath(run.workdir);
      if (run.resume) await home.restore(cwd, sessionId, run.resume.artifacts);
      if (run.accessToken && this.config.credentialProxy) {
        proxy = await this.config.credentialProxy(claudeProxySpec(run.accessToken, this.config.baseUrl ?? anthropicApi));
      }
      cli = await CliProcess.launch(this.#spec(run, home, cwd, resumeId ? { resume: resumeId } : { create: sessionId }, proxy), signal);
      // The CLI appends to its transcript as it goes: it can be read at any point.
      run.checkpoints?.(sessionId, () => home.export(sessionId));
      yield* cliEvents({ cli, mapper: new StreamJsonMapper(), signal, name: 'claude', install: 'npm install @anthropic-ai/claude-code', silenceMs: this.config.silenceMs });
    } finally {
      await cli?.kill();
      // After the kill: nothing is left to use the proxy, and it must not outlive the job.
      await proxy?.close();
      try {
        await run.saveSession(sessionId, await home.export(sessionId));
      } finally {
        await home.remove();
      }
    }
  }

  #spec(run: ProviderRun, home: ClaudeHome, cwd: string, session: { resume: string } | { create: string }, proxy?: CredentialProxy) {
    return {
      command: this.config.executable,
      args: claudeArgs({ options: run.options, maxTurns: run.maxTurns, defaultPermissionMode: this.config.defaultPermissionMode, session }),
      cwd,
      env: claudeEnv({
        home: home.home,
        configDir: home.configDir,
        path: this.config.path,
        lang: this.config.lang,
        // Through the proxy the CLI holds a placeholder of the token's shape, never the token.
        accessToken: proxy ? new Secret(proxy.placeholder) : run.accessToken,
        baseUrl: proxy?.url ?? this.config.baseUrl,
        maxRetries: this.config.maxRetries,
        sandbox: this.config.sandbox,
      }),
      stdin: run.prompt,
      silenceMs: this.config.silenceMs,
      user: this.config.agentUser,
      owns: [cwd, home.home],
    };
  }
}
