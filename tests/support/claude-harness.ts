import { join } from 'node:path';
import { startCredentialProxy } from '../../src/adapters/credential-proxy/index.js';
import { ClaudeCodeProvider } from '../../src/adapters/providers/claude-code/index.js';
import { Secret } from '../../src/domain/secret.js';
import { findClaude } from '../../src/infrastructure/installed-packages.js';
import type { ProviderFixture, ProviderHarness, ScriptedModel } from '../contract/provider.contract.js';
import { providerDirs } from './provider-dirs.js';
import { cwdOf, startScriptedAnthropic, type ScriptedAnthropic } from './scripted-anthropic.js';

export const claudeExecutable = findClaude(import.meta.url).executable;

/** Environment every test gives the real claude CLI: no traffic but to the scripted server. */
export const quietClaudeEnv = { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1' };

export function scriptedModelFor(server: ScriptedAnthropic): ScriptedModel {
  return {
    answerText: (text) => server.script([{ kind: 'text', text }]),
    answerWrite: (fileName, content) =>
      server.script([{ kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request) ?? '.', fileName), content }) }]),
    answerStatus: (status) => server.script([{ kind: 'status', status }]),
    hang: () => server.script([{ kind: 'hang' }]),
    turnSizes: () => server.mainLoopRequests().map((request) => request.messageCount),
  };
}

/**
 * The Claude Code adapter driving the real CLI against a scripted Anthropic API on loopback;
 * proxied, as the worker runs it, with every model call through the job's credential proxy.
 */
const claudeHarnessWith = ({ proxied }: { proxied: boolean }): ProviderHarness => ({
  name: proxied ? 'claude-code through the credential proxy (real CLI, scripted Anthropic API)' : 'claude-code (real CLI, scripted Anthropic API)',
  async create(): Promise<ProviderFixture> {
    const { workdir, otherWorkdir, cli, remove } = await providerDirs(proxied ? 'claude-proxied' : 'claude');
    const server = await startScriptedAnthropic();
    const provider = new ClaudeCodeProvider({
      ...cli,
      executable: claudeExecutable,
      baseUrl: server.url,
      maxRetries: 0,
      defaultPermissionMode: 'acceptEdits',
      sandbox: false,
      ...(proxied && { credentialProxy: startCredentialProxy }),
    });
    // Appending a script means later scripts queue behind earlier ones, as the contract expects.
    const model = scriptedModelFor(server);
    return {
      provider,
      model,
      workdir,
      otherWorkdir,
      accessToken: new Secret(`sk-ant-api03-test-${Math.random().toString(36).slice(2)}`),
      close: async () => {
        await server.close();
        await remove();
      },
    };
  },
});

export const claudeHarness = claudeHarnessWith({ proxied: false });
export const claudeProxiedHarness = claudeHarnessWith({ proxied: true });
