import { startCredentialProxy } from '../../src/adapters/credential-proxy/index.js';
import { ClaudeCodeProvider } from '../../src/adapters/providers/claude-code/index.js';
import { Secret } from '../../src/domain/secret.js';
import type { ProviderFixture, ProviderHarness } from '../contract/provider.contract.js';
import { claudeExecutable, scriptedModelFor } from './claude-harness.js';
import { providerDirs } from './provider-dirs.js';
import { startScriptedAnthropic } from './scripted-anthropic.js';

/** claudeHarness as the worker runs it: every model call through the job's credential proxy. */
export const claudeProxiedHarness: ProviderHarness = {
  name: 'claude-code through the credential proxy (real CLI, scripted Anthropic API)',
  async create(): Promise<ProviderFixture> {
    const { workdir, otherWorkdir, cli, remove } = await providerDirs('claude-proxied');
    const server = await startScriptedAnthropic();
    const provider = new ClaudeCodeProvider({
      ...cli,
      executable: claudeExecutable,
      baseUrl: server.url,
      maxRetries: 0,
      defaultPermissionMode: 'acceptEdits',
      sandbox: false,
      credentialProxy: startCredentialProxy,
    });
    return {
      provider,
      model: scriptedModelFor(server),
      workdir,
      otherWorkdir,
      accessToken: new Secret(`sk-ant-api03-test-${Math.random().toString(36).slice(2)}`),
      close: async () => {
        await server.close();
        await remove();
      },
    };
  },
};
