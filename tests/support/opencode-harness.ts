import { join } from 'node:path';
import { OpencodeProvider } from '../../src/adapters/providers/opencode/index.js';
import { Secret } from '../../src/domain/secret.js';
import { findOpencode } from '../../src/infrastructure/installed-packages.js';
import type { ProviderFixture, ProviderHarness, ScriptedModel } from '../contract/provider.contract.js';
import { providerDirs } from './provider-dirs.js';
import { startScriptedOpenAi, type ScriptedOpenAi } from './scripted-openai.js';

export const opencodeExecutable = findOpencode(import.meta.url).executable;

/** opencode states its working directory in the system prompt ("Working directory: ..."). */
const cwdPattern = /Working directory:\s*([^\s"\\]+)/;

export function opencodeModelFor(server: ScriptedOpenAi): ScriptedModel {
  return {
    answerText: (text) => server.script([{ kind: 'text', text }]),
    answerWrite: (fileName, content) =>
      server.script([
        {
          kind: 'tool_call',
          name: 'write',
          args: (request) => ({ filePath: join(cwdPattern.exec(JSON.stringify(request.body?.messages))?.[1] ?? '.', fileName), content }),
        },
      ]),
    answerStatus: (status) => server.script([{ kind: 'status', status }]),
    hang: () => server.script([{ kind: 'hang' }]),
    turnSizes: () => server.mainLoopRequests().map((request) => request.messageCount),
  };
}

/** The opencode adapter driving the real opencode CLI against a scripted Chat Completions API. */
export const opencodeHarness: ProviderHarness = {
  name: 'opencode (real CLI, scripted OpenAI Chat Completions API)',
  async create(): Promise<ProviderFixture> {
    const { workdir, otherWorkdir, cli, remove } = await providerDirs('opencode');
    const server = await startScriptedOpenAi();
    const provider = new OpencodeProvider({
      ...cli,
      executable: opencodeExecutable,
      baseUrl: server.url,
      defaultModel: 'scripted-model',
    });
    return {
      provider,
      model: opencodeModelFor(server),
      workdir,
      otherWorkdir,
      accessToken: new Secret(`sk-test.opencode.${Math.random().toString(36).slice(2)}`),
      close: async () => {
        await server.close();
        await remove();
      },
    };
  },
};
