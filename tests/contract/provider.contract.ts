import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderEvent, ProviderPort, ProviderRun } from '../../src/application/ports/provider.port.js';
import { DomainError } from '../../src/domain/errors.js';
import type { Secret } from '../../src/domain/secret.js';
import type { SessionArtifact, SessionSnapshot } from '../../src/domain/session.js';
import { processesInside, processTexts } from '../support/processes.js';

/** The model server as the contract sees it: neutral words, each harness speaks its wire protocol. */
export interface ScriptedModel {
  answerText(text: string): void;
  /** The model asks the assistant to write `content` to `fileName` in its working directory. */
  answerWrite(fileName: string, content: string): void;
  answerStatus(status: number): void;
  /** The model accepts the request and never answers. */
  hang(): void;
  /** How many conversation messages each of the assistant's turns sent, in order. */
  turnSizes(): number[];
}

export interface ProviderFixture {
  provider: ProviderPort;
  model: ScriptedModel;
  workdir: string;
  /** A second, different working directory, for resuming from another path. */
  otherWorkdir: string;
  accessToken: Secret;
  close(): Promise<void>;
}

export interface ProviderHarness {
  name: string;
  create(): Promise<ProviderFixture>;
}

interface RunResult {
  events: ProviderEvent[];
  error?: DomainError;
  saved?: { sessionId: string; artifacts: SessionArtifact[] };
}

async function runOnce(
  fixture: ProviderFixture,
  overrides: Partial<ProviderRun> = {},
  signal = new AbortController().signal,
): Promise<RunResult> {
  const result: RunResult = { events: [] };
  const run: ProviderRun = {
    jobId: `job-${Math.random().toString(36).slice(2)}`,
    prompt: 'Do the task',
    workdir: fixture.workdir,
    accessToken: fixture.accessToken,
    options: {},
    saveSession: async (sessionId, artifacts) => {
      result.saved = { sessionId, artifacts };
    },
    ...overrides,
  };
  try {
    for await (const batch of fixture.provider.run(run, signal)) result.events.push(...batch);
  } catch (error) {
    result.error = DomainError.from(error);
  }
  return result;
}

const items = (result: RunResult) => result.events.flatMap((event) => (event.type === 'item' ? [event.item] : []));
const outcome = (result: RunResult) => result.events.find((event) => event.type === 'finished');

/** What every ProviderPort adapter must do, run against the real CLI where one can run here. */
export function describeProviderContract(harness: ProviderHarness): void {
  describe(`ProviderPort contract: ${harness.name}`, () => {
    let fixture: ProviderFixture;
    beforeEach(async () => {
      fixture = await harness.create();
    });
    afterEach(async () => {
      await fixture.close();
    });

    it('reports a text turn as a session, the text, usage and a finished outcome', async () => {
      fixture.model.answerText('Hello from the model');
      const result = await runOnce(fixture);
      expect(result.error).toBeUndefined();
      const kinds = items(result).map((item) => item.kind);
      expect(kinds[0]).toBe('session');
      expect(items(result)).toContainEqual({ kind: 'text', text: 'Hello from the model' });
      expect(kinds).toContain('usage');
      const finished = outcome(result);
      expect(finished?.type === 'finished' && finished.outcome).toMatchObject({ result: 'Hello from the model', numTurns: 1 });
      expect(result.events.at(-1)?.type).toBe('finished');
    });

    it('runs a Write tool call that really creates the file in the workspace', async () => {
      fixture.model.answerWrite('hello.ts', 'export const hello = "world";\n');
      fixture.model.answerText('Created hello.ts');
      const result = await runOnce(fixture);
      expect(result.error).toBeUndefined();
      expect(readFileSync(join(fixture.workdir, 'hello.ts'), 'utf8')).toBe('export const hello = "world";\n');
      const call = items(result).find((item) => item.kind === 'tool_call');
      expect(call).toMatchObject({ kind: 'tool_call', name: expect.any(String) });
      const toolResult = items(result).find((item) => item.kind === 'tool_result');
      expect(toolResult).toMatchObject({ kind: 'tool_result', ok: true, id: call?.kind === 'tool_call' ? call.id : '' });
    });

    it('saves a session that a later run resumes with the earlier turns, even from another directory', async () => {
      fixture.model.answerText('first answer');
      const first = await runOnce(fixture, { prompt: 'remember the word banana' });
      expect(first.saved?.artifacts.length).toBeGreaterThan(0);
      const sessionItem = items(first).find((item) => item.kind === 'session');
      expect(sessionItem?.kind === 'session' && sessionItem.sessionId).toBe(first.saved?.sessionId);

      fixture.model.answerText('second answer');
      const snapshot: SessionSnapshot = {
        session: { provider: fixture.provider.id, providerSessionId: first.saved!.sessionId },
        artifacts: first.saved!.artifacts,
        savedAt: 0,
      };
      const second = await runOnce(fixture, { prompt: 'what was the word?', resume: snapshot, workdir: fixture.otherWorkdir });
      expect(second.error).toBeUndefined();
      const [firstTurn, secondTurn] = fixture.model.turnSizes();
      expect(secondTurn).toBeGreaterThan(firstTurn!);
      const finished = outcome(second);
      expect(finished?.type === 'finished' && finished.outcome.sessionId).toBe(first.saved?.sessionId);
    });

    it('answers SESSION_NOT_FOUND for a session it has no record of', async () => {
      const snapshot: SessionSnapshot = {
        session: { provider: fixture.provider.id, providerSessionId: '0199a2b3-0000-7000-8000-000000000000' },
        artifacts: [],
        savedAt: 0,
      };
      const result = await runOnce(fixture, { resume: snapshot });
      expect(result.error?.code).toBe('SESSION_NOT_FOUND');
      expect(fixture.model.turnSizes()).toEqual([]);
    });

    it('fails with PROVIDER_ERROR, not retryable, when the model answers 401', async () => {
      fixture.model.answerStatus(401);
      const result = await runOnce(fixture);
      expect(result.error?.code).toBe('PROVIDER_ERROR');
      expect(result.error?.retryable).toBe(false);
      expect(result.error?.message).toContain('401');
      expect(outcome(result)).toBeUndefined();
    });

    it('stops at once when its signal aborts, leaving no process behind', async () => {
      fixture.model.hang();
      const controller = new AbortController();
      const reason = new DomainError('CANCELLED', 'cancelled by the test');
      const running = runOnce(fixture, {}, controller.signal);
      await waitUntil(() => processesInside(fixture.workdir).length > 0);
      // While it runs, no process names the key on its command line, nor the prompt.
      const argvs = processTexts().map((process) => process.argv);
      expect(argvs.filter((argv) => argv.includes(fixture.accessToken.reveal()) || argv.includes('Do the task'))).toEqual([]);
      controller.abort(reason);
      const result = await running;
      expect(result.error).toBe(reason);
      expect(processesInside(fixture.workdir)).toEqual([]);
    });

    it('does not start without a usable credential', async () => {
      fixture.model.answerText('never');
      const result = await runOnce(fixture, { accessToken: undefined });
      expect(result.error?.code).toBe('MISSING_CREDENTIALS');
      expect(fixture.model.turnSizes()).toEqual([]);
    });

    it('keeps nothing of the run in the workspace but what the assistant made', async () => {
      fixture.model.answerText('ok');
      await runOnce(fixture);
      // No config dir, session file or sandbox mount point left next to the user's code.
      expect(readdirSync(fixture.workdir)).toEqual([]);
    });
  });
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
