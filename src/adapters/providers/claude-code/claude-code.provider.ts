import { randomUUID } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import type {
  ProviderCapabilities,
  ProviderEvent,
  ProviderPort,
  ProviderRun,
} from '../../../application/ports/provider.port.js';
import { DomainError } from '../../../domain/errors.js';
import type { Secret } from '../../../domain/secret.js';
import { CliProcess } from '../cli-process.js';
import { parseJsonLine } from '../json-line.js';
import { claudeArgs, claudePermissionModes } from './claude-code.args.js';
import { claudeEnv } from './claude-code.env.js';
import { ClaudeHome } from './claude-code.home.js';
import { StreamJsonMapper } from './stream-json.mapper.js';

export interface ClaudeCodeConfig {
  executable: string;
  /** Where per-job HOMEs are made. */
  homesDir: string;
  baseUrl?: string;
  /** The worker's own login (~/.claude/.credentials.json), used when a request brings no token. */
  credentialsJson?: Secret;
  maxRetries: number;
  /** A CLI silent this long is stopped with PROVIDER_STALLED; 0 never. */
  silenceMs: number;
  defaultPermissionMode: string;
  sandbox: boolean;
  path: string;
  lang: string;
}

/** Runs the Claude Code CLI headless (`-p --output-format stream-json`). */
export class ClaudeCodeProvider implements ProviderPort {
  readonly id = 'claude-code';
  readonly capabilities: ProviderCapabilities = {
    options: ['model', 'maxTurns', 'permissionMode', 'allowedTools', 'disallowedTools', 'appendSystemPrompt', 'trustRepoSettings'],
    permissionModes: claudePermissionModes,
    resume: true,
  };

  constructor(private readonly config: ClaudeCodeConfig) {}

  hasOwnCredentials(): boolean {
    return this.config.credentialsJson !== undefined;
  }

  async *run(run: ProviderRun, signal: AbortSignal): AsyncGenerator<ProviderEvent> {
    const home = await ClaudeHome.create(
      this.config.homesDir,
      run.jobId,
      run.accessToken ? undefined : this.config.credentialsJson,
    );
    const resumeId = run.resume?.session.providerSessionId;
    const sessionId = resumeId ?? randomUUID();
    let cli: CliProcess | undefined;
    try {
      const cwd = await realpath(run.workdir);
      if (run.resume) await home.restore(cwd, sessionId, run.resume.artifacts);
      cli = CliProcess.start(this.#spec(run, home, cwd, resumeId ? { resume: resumeId } : { create: sessionId }), signal);
      yield* this.#events(cli, signal);
    } finally {
      await cli?.kill();
      await run.saveSession(sessionId, await home.export(sessionId));
      await home.remove();
    }
  }

  async *#events(cli: CliProcess, signal: AbortSignal): AsyncGenerator<ProviderEvent> {
    const mapper = new StreamJsonMapper();
    for await (const line of cli.lines()) {
      const parsed = parseJsonLine(line);
      if (parsed === undefined) continue;
      for (const output of mapper.map(parsed)) {
        yield output.type === 'item' ? { type: 'item', item: output.item, raw: parsed } : output;
      }
    }
    const exit = await cli.exit;
    cli.reapGroup();
    if (signal.aborted) throw signal.reason;
    if (cli.notStarted) throw new DomainError('PROVIDER_FAILED', 'the claude CLI could not be started', { retryable: false });
    if (cli.stalled) {
      throw new DomainError('PROVIDER_STALLED', `claude printed nothing for ${this.config.silenceMs} ms and was stopped`);
    }
    const verdict = mapper.verdict;
    if (verdict?.ok) {
      yield { type: 'finished', outcome: verdict.outcome };
      return;
    }
    if (verdict) throw verdict.error;
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const stderr = cli.stderrTail();
    throw new DomainError('PROVIDER_FAILED', `claude ${how}${stderr ? `: ${stderr}` : ''}`);
  }

  #spec(run: ProviderRun, home: ClaudeHome, cwd: string, session: { resume: string } | { create: string }) {
    return {
      command: this.config.executable,
      args: claudeArgs({ options: run.options, defaultPermissionMode: this.config.defaultPermissionMode, session }),
      cwd,
      env: claudeEnv({
        home: home.home,
        configDir: home.configDir,
        path: this.config.path,
        lang: this.config.lang,
        accessToken: run.accessToken,
        baseUrl: this.config.baseUrl,
        maxRetries: this.config.maxRetries,
        sandbox: this.config.sandbox,
      }),
      stdin: run.prompt,
      silenceMs: this.config.silenceMs,
    };
  }
}
