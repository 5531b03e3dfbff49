import { startCredentialProxy } from '../../src/adapters/credential-proxy/index.js';
import { CodexProvider } from '../../src/adapters/providers/codex/index.js';
import { Secret } from '../../src/domain/secret.js';
import type { ProviderFixture, ProviderHarness } from '../contract/provider.contract.js';
import { codexExecutable, codexModelFor } from './codex-harness.js';
import { providerDirs } from './provider-dirs.js';
import { startScriptedOpenAi } from './scripted-openai.js';

/** codexHarness as the worker runs it: every model call through the job's credential proxy. */
export const codexProxiedHarness: ProviderHarness = {
  name: 'codex through the credential proxy (real CLI, scripted OpenAI Responses API)',
  async create(): Promise<ProviderFixture> {
    const { workdir, otherWorkdir, cli, remove } = await providerDirs('codex-proxied');
    const server = await startScriptedOpenAi();
    const provider = new CodexProvider({
      ...cli,
      executable: codexExecutable,
      baseUrl: server.url,
      defaultModel: 'scripted-model',
      maxRetries: 0,
      defaultSandbox: 'workspace-write',
      credentialProxy: startCredentialProxy,
    });
    return {
      provider,
      model: codexModelFor(server),
      workdir,
      otherWorkdir,
      accessToken: new Secret(`sk-proj-test.codex.${Math.random().toString(36).slice(2)}`),
      close: async () => {
        await server.close();
        await remove();
      },
    };
  },
};
