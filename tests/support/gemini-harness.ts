import { join } from 'node:path';
import { GeminiProvider } from '../../src/adapters/providers/gemini/index.js';
import { Secret } from '../../src/domain/secret.js';
import { findGemini } from '../../src/infrastructure/installed-packages.js';
import type { ProviderFixture, ProviderHarness, ScriptedModel } from '../contract/provider.contract.js';
import { providerDirs } from './provider-dirs.js';
import { startScriptedGemini, type ScriptedGemini } from './scripted-gemini.js';

export const geminiExecutable = findGemini(import.meta.url).executable;

/** The working directory the CLI states in its first message ("I'm currently working in the directory: ..."). */
const cwdPattern = /working in the directory:\s*(\S+)/;

export function geminiModelFor(server: ScriptedGemini): ScriptedModel {
  return {
    answerText: (text) => server.script([{ kind: 'text', text }]),
    answerWrite: (fileName, content) =>
      server.script([
        {
          kind: 'function_call',
          name: 'write_file',
          args: (request) => ({ file_path: join(cwdPattern.exec(JSON.stringify(request.body?.contents))?.[1] ?? '.', fileName), content }),
        },
      ]),
    answerStatus: (status) => server.script([{ kind: 'status', status }]),
    hang: () => server.script([{ kind: 'hang' }]),
    turnSizes: () => server.mainLoopRequests().map((request) => request.messageCount),
  };
}

/** The Gemini adapter driving the real gemini CLI against a scripted Gemini API on loopback. */
export const geminiHarness: ProviderHarness = {
  name: 'gemini (real CLI, scripted Gemini API)',
  async create(): Promise<ProviderFixture> {
    const { workdir, otherWorkdir, cli, remove } = await providerDirs('gemini');
    const server = await startScriptedGemini();
    const provider = new GeminiProvider({
      ...cli,
      executable: geminiExecutable,
      baseUrl: server.url,
      // A fixed model skips the CLI's routing call.
      defaultModel: 'gemini-2.5-pro',
      maxAttempts: 1,
      defaultApprovalMode: 'auto_edit',
    });
    return {
      provider,
      model: geminiModelFor(server),
      workdir,
      otherWorkdir,
      accessToken: new Secret(`AIza-test.gemini.${Math.random().toString(36).slice(2)}`),
      close: async () => {
        await server.close();
        await remove();
      },
    };
  },
};
