import { startCredentialProxy } from '../../src/adapters/credential-proxy/index.js';
import { CodexProvider } from '../../src/adapters/providers/codex/index.js';
import { Secret } from '../../src/domain/secret.js';
import { findCodex } from '../../src/infrastructure/installed-packages.js';
import type { ProviderFixture, ProviderHarness, ScriptedModel } from '../contract/provider.contract.js';
import { providerDirs } from './provider-dirs.js';
import { startScriptedOpenAi, type ScriptedOpenAi } from './scripted-openai.js';

export const codexExecutable = findCodex(import.meta.url).executable;

/** A POSIX shell word that stands for `text` exactly. */
const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** Codex writes files through its shell tool, exec_command. */
export function codexModelFor(server: ScriptedOpenAi): ScriptedModel {
  return {
    answerText: (text) => server.script([{ kind: 'text', text }]),
    answerWrite: (fileName, content) =>
      server.script([{ kind: 'tool_call', name: 'exec_command', args: { cmd: `printf %s ${shellQuote(content)} > ${shellQuote(fileName)}` } }]),
    answerStatus: (status) => server.script([{ kind: 'status', status }]),
    hang: () => server.script([{ kind: 'hang' }]),
    turnSizes: () => server.mainLoopRequests().map((request) => request.messageCount),
  };
}

/**
 * The Codex adapter driving the real codex CLI against a scripted Responses API on loopback;
 * proxied, as the worker runs it, with every model call through the job's credential proxy.
 */
const codexHarnessWith = ({ proxied }: { proxied: boolean }): ProviderHarness => ({
  name: proxied ? 'codex through the credential proxy (real CLI, scripted OpenAI Responses API)' : 'codex (real CLI, scripted OpenAI Responses API)',
  async create(): Promise<ProviderFixture> {
    const { workdir, otherWorkdir, cli, remove } = await providerDirs(proxied ? 'codex-proxied' : 'codex');
    const server = await startScriptedOpenAi();
    const provider = new CodexProvider({
      ...cli,
      executable: codexExecutable,
      baseUrl: server.url,
      // A model Codex has no metadata for gets the plain function tools the scripted server speaks.
      defaultModel: 'scripted-model',
      maxRetries: 0,
      defaultSandbox: 'workspace-write',
      ...(proxied && { credentialProxy: startCredentialProxy }),
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
});

export const codexHarness = codexHarnessWith({ proxied: false });
export const codexProxiedHarness = codexHarnessWith({ proxied: true });
