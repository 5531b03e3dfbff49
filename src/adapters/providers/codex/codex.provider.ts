import { realpath } from 'node:fs/promises';
import type { ProviderAvailability, ProviderCapabilities, ProviderEvent, ProviderPort, ProviderRun } from '../../../application/ports/provider.port.js';
import { DomainError } from '../../../domain/errors.js';
import { Secret } from '../../../domain/secret.js';
import type { CredentialProxy, StartCredentialProxy } from '../../shared/credential-proxy-spec.js';
import { cliEvents } from '../cli-events.js';
import { cliAvailability } from '../cli-availability.js';
import { CliProcess } from '../cli-process.js';
import { CodexJsonMapper } from './codex-json.mapper.js';
import { codexEnv, codexKeyVariable, codexProxySpec, openAiApi } from './codex.env.js';
import { CodexHome } from './codex.home.js';
import type { CliProviderConfig } from '../cli-provider-config.js';

export interface CodexConfig extends CliProviderConfig {
  /** An OpenAI-compatible Responses API base URL (with /v1); unset means api.openai.com. */
  baseUrl?: string;
  /** The worker's own login (~/.codex/auth.json), used when a request brings no key. */
  authJson?: Secret;
  /** The model when a request names none; unset leaves Codex's own default. */
  defaultModel?: string;
  maxRetries: number;
  /** The sandbox when a request names none: read-only, workspace-write or danger-full-access. */
  defaultSandbox: string;
  /** Starts the job's credential proxy, so the CLI never holds a request's key; unset, the CLI gets the key itself. */
  credentialProxy?: StartCredentialProxy;
}

export const codexSandboxModes = ['read-only', 'workspace-write', 'danger-full-access'] as const;

/** Runs OpenAI's Codex CLI headless (`codex exec --json`), the prompt on stdin. */
export class CodexProvider implements ProviderPort {
  readonly id = 'codex';
  readonly capabilities: ProviderCapabilities = {
    options: ['model', 'permissionMode'],
    permissionModes: codexSandboxModes,
    resume: true,
  };

  constructor(private readonly config: CodexConfig) {}

  availability(): ProviderAvailability {
    return cliAvailability(this.config.executable, this.config.path, this.config.version);
  }

  hasOwnCredentials(): boolean {
    return this.config.authJson !== undefined;
  }

  async *run(run: ProviderRun, signal: AbortSignal): AsyncGenerator<ProviderEvent[]> {
    if (!run.accessToken && !this.config.authJson) {
      throw new DomainError('MISSING_CREDENTIALS', 'codex has no credentials: send codingAssistantAccessToken');
    }
    // Started before the HOME: config.toml names the proxy as the model API.
    const proxy: CredentialProxy | undefined =
      run.accessToken && this.config.credentialProxy ? await this.config.credentialProxy(codexProxySpec(run.accessToken, this.config.baseUrl ?? openAiApi)) : undefined;
    try {
      yield* this.#runWith(run, signal, proxy);
    } finally {
      // After the CLI's kill (in #runWith's finally): the proxy must not outlive the job.
      await proxy?.close();
    }
  }

  async *#runWith(run: ProviderRun, signal: AbortSignal, proxy: CredentialProxy | undefined): AsyncGenerator<ProviderEvent[]> {
    const model = run.options.model ?? this.config.defaultModel;
    const home = await CodexHome.create(
      this.config.homesDir,
      run.jobId,
      {
        baseUrl: proxy?.url ?? this.config.baseUrl,
        maxRetries: this.config.maxRetries,
        sandbox: run.options.permissionMode ?? this.config.defaultSandbox,
        model,
        keyVariable: codexKeyVariable,
      },
      run.accessToken ? undefined : this.config.authJson,
    );
    const resumeId = run.resume?.session.providerSessionId;
    const mapper = new CodexJsonMapper(run.resume ? await home.restore(run.resume.artifacts) : undefined, Date.now, model);
    let cli: CliProcess | undefined;
    try {
      const cwd = await realpath(run.workdir);
      // `-` reads the prompt from stdin; ids come from our own session store, never a flag.
      const args = resumeId
        ? ['exec', 'resume', '--json', '--skip-git-repo-check', '--', resumeId, '-']
        : ['exec', '--json', '--skip-git-repo-check', '-'];
      const env = codexEnv({ home: home.home, codexHome: home.codexHome, path: this.config.path, lang: this.config.lang, accessToken: proxy ? new Secret(proxy.placeholder) : run.accessToken });
      cli = await CliProcess.launch({ command: this.config.executable, args, cwd, env, stdin: run.prompt, silenceMs: this.config.silenceMs, user: this.config.agentUser, owns: [cwd, home.home] }, signal);
      yield* cliEvents({ cli, mapper, signal, name: 'codex', install: 'npm install @openai/codex', silenceMs: this.config.silenceMs });
    } finally {
      await cli?.kill();
      const threadId = mapper.threadId ?? resumeId;
      try {
        if (threadId) await run.saveSession(threadId, await home.export(threadId, mapper.cumulativeUsage));
      } finally {
        await home.remove();
      }
    }
  }
}
