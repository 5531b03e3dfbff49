import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopilotProvider } from '../../src/adapters/providers/copilot/index.js';
import { Secret } from '../../src/domain/secret.js';
import { findCopilot } from '../../src/infrastructure/installed-packages.js';
import type { ProviderFixture, ProviderHarness, ScriptedModel } from '../contract/provider.contract.js';
import { providerDirs } from './provider-dirs.js';
import { startScriptedOpenAi, type ScriptedOpenAi } from './scripted-openai.js';

export const copilotExecutable = findCopilot(import.meta.url).executable;
/** The CLI unpacks ~235 MB on its first run per cache dir: every test shares one. */
export const copilotCacheDir = join(tmpdir(), 'uw-copilot-cache');
/** Copilot asks twice more after a 401 before it gives up. */
const copilotAttempts = 3;

const cwdPattern = /Current working directory:\s*([^\s"\\]+)/;

export function copilotModelFor(server: ScriptedOpenAi): ScriptedModel {
  return {
    answerText: (text) => server.script([{ kind: 'text', text }]),
    answerWrite: (fileName, content) =>
      server.script([
        {
          kind: 'tool_call',
          name: 'create',
          args: (request) => ({ path: join(cwdPattern.exec(JSON.stringify(request.body?.messages))?.[1] ?? '.', fileName), file_text: content }),
        },
      ]),
    answerStatus: (status) => server.script(Array.from({ length: copilotAttempts }, () => ({ kind: 'status' as const, status }))),
    hang: () => server.script([{ kind: 'hang' }]),
    turnSizes: () => server.mainLoopRequests().map((request) => request.messageCount),
  };
}

/** The Copilot adapter driving the real copilot CLI (bring-your-own-key mode) against a scripted Chat Completions API. */
export const copilotHarness: ProviderHarness = {
  name: 'copilot (real CLI, scripted OpenAI Chat Completions API)',
  async create(): Promise<ProviderFixture> {
    const { workdir, otherWorkdir, cli, remove } = await providerDirs('copilot');
    const server = await startScriptedOpenAi();
    const provider = new CopilotProvider({
      ...cli,
      executable: copilotExecutable,
      cacheDir: copilotCacheDir,
      baseUrl: server.url,
      defaultModel: 'scripted-model',
    });
    return {
      provider,
      model: copilotModelFor(server),
      workdir,
      otherWorkdir,
      accessToken: new Secret(`sk-test.copilot.${Math.random().toString(36).slice(2)}`),
      close: async () => {
        await server.close();
        await remove();
      },
    };
  },
};
