import { describe, expect, it } from 'vitest';
import { ExecutionUseCase } from '../../src/application/execution.use-case.js';
import { JobSlot } from '../../src/application/job-slot.js';
import type { ProviderEvent } from '../../src/application/ports/provider.port.js';
import { DomainError } from '../../src/domain/errors.js';
import { Secret } from '../../src/domain/secret.js';
import {
  aborted,
  CollectingSink,
  inMemoryDeps,
  jobRequest,
  MemoryPersistence,
  MemorySessionStore,
  MemoryWorkspace,
  ScriptedProvider,
} from '../support/in-memory.js';

const finished: ProviderEvent = {
  type: 'finished',
  outcome: { sessionId: 's-1', result: 'done', numTurns: 1, usage: { inputTokens: 10, outputTokens: 2 } },
};

async function* textTurn(text: string): AsyncGenerator<ProviderEvent> {
  yield { type: 'item', item: { kind: 'session', sessionId: 's-1', model: 'm' }, raw: { native: true } };
  yield { type: 'item', item: { kind: 'text', text } };
  yield finished;
}

async function run(provider: ScriptedProvider, request = jobRequest(), deps = inMemoryDeps(provider)) {
  const useCase = new ExecutionUseCase(deps);
  const sink = new CollectingSink();
  const lease = new JobSlot().tryAcquire()!;
  await useCase.execute(request, sink, lease);
  return { sink, deps };
}

describe('ExecutionUseCase', () => {
  it('streams connected, the stages, the assistant items and one completed event, numbered from 0', async () => {
    const { sink } = await run(new ScriptedProvider(() => textTurn('hello')));
    expect(sink.types()).toEqual(['connected', 'message', 'message', 'assistant_message', 'assistant_message', 'completed']);
    expect(sink.events.map((event) => event.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sink.events[0]).toMatchObject({ type: 'connected', provider: 'scripted', workerId: 'worker-test', apiVersion: '1' });
    expect(sink.events[4]).toMatchObject({ type: 'assistant_message', sessionId: 's-1', item: { kind: 'text', text: 'hello' } });
    expect(sink.events.at(-1)).toMatchObject({ type: 'completed', sessionId: 's-1', result: 'done', numTurns: 1 });
    expect(new Set(sink.events.map((event) => event.jobId)).size).toBe(1);
  });

  it('passes the provider its own JSON only when includeRaw is asked for', async () => {
    const plain = await run(new ScriptedProvider(() => textTurn('x')));
    expect(plain.sink.events.some((event) => 'raw' in event)).toBe(false);
    const raw = await run(new ScriptedProvider(() => textTurn('x')), jobRequest({ includeRaw: true }));
    expect(raw.sink.events[3]).toMatchObject({ raw: { native: true } });
  });

  it('ends with an error event carrying the code when the provider fails', async () => {
    const provider = new ScriptedProvider(async function* () {
      yield { type: 'item', item: { kind: 'text', text: 'partial' } };
      throw new DomainError('PROVIDER_ERROR', 'the model API answered 529');
    });
    const { sink } = await run(provider);
    expect(sink.events.at(-1)).toMatchObject({ type: 'error', code: 'PROVIDER_ERROR', retryable: true });
    expect(sink.types().filter((type) => type === 'completed' || type === 'error')).toHaveLength(1);
  });

  it('reports PROVIDER_FAILED when the provider stops without a result', async () => {
    const { sink } = await run(new ScriptedProvider(async function* () {}));
    expect(sink.events.at(-1)).toMatchObject({ type: 'error', code: 'PROVIDER_FAILED' });
  });

  it('never forwards the message of an unexpected error', async () => {
    const provider = new ScriptedProvider(async function* () {
      throw new Error('ENOENT /home/secret/path');
    });
    const { sink } = await run(provider);
    expect(sink.events.at(-1)).toMatchObject({ type: 'error', code: 'INTERNAL', message: 'internal error' });
  });

  it('ends CANCELLED when the lease is aborted, whatever the provider throws then', async () => {
    const provider = new ScriptedProvider(async function* (_run, signal) {
      yield { type: 'item', item: { kind: 'text', text: 'working' } };
      await aborted(signal);
      throw new Error('killed');
    });
    const deps = inMemoryDeps(provider);
    const useCase = new ExecutionUseCase(deps);
    const sink = new CollectingSink();
    const lease = new JobSlot().tryAcquire()!;
    const done = useCase.execute(jobRequest(), sink, lease);
    await waitFor(() => sink.events.some((event) => event.type === 'assistant_message'));
    lease.abort(new DomainError('CANCELLED', 'the client disconnected'));
    await done;
    expect(sink.events.at(-1)).toMatchObject({ type: 'error', code: 'CANCELLED', retryable: false });
  });

  it('ends TIMEOUT when the job outlives its timeoutMs', async () => {
    const provider = new ScriptedProvider(async function* (_run, signal) {
      await aborted(signal);
      throw signal.reason;
    });
    const { sink } = await run(provider, jobRequest({ timeoutMs: 20 }));
    expect(sink.events.at(-1)).toMatchObject({ type: 'error', code: 'TIMEOUT' });
  });

  it('masks every credential of the request wherever it shows up in events', async () => {
    const token = 'sk-ant-test.very-secret-value';
    const dbToken = 'db-token-very-secret';
    const provider = new ScriptedProvider(async function* () {
      yield { type: 'item', item: { kind: 'tool_result', id: 't1', ok: true, output: `ANTHROPIC_API_KEY=${token} DB=${dbToken}` } };
      yield finished;
    });
    const persistence = new MemoryPersistence();
    const { sink } = await run(
      provider,
      jobRequest({ accessToken: new Secret(token), database: { sessionId: 'db-1', accessToken: new Secret(dbToken) } }),
      inMemoryDeps(provider, { persistence }),
    );
    const text = JSON.stringify(sink.events) + JSON.stringify(persistence.events);
    expect(text).not.toContain(token);
    expect(text).not.toContain(dbToken);
    expect(text).toContain('[REDACTED]');
  });

  it('records every event it streams, in order', async () => {
    const persistence = new MemoryPersistence();
    const provider = new ScriptedProvider(() => textTurn('x'));
    const { sink } = await run(provider, jobRequest(), inMemoryDeps(provider, { persistence }));
    expect(persistence.events).toEqual(sink.events);
  });

  it('saves the session at the end and hands it back to a resumed job', async () => {
    const sessions = new MemorySessionStore();
    const provider = new ScriptedProvider(() => textTurn('x'));
    const deps = inMemoryDeps(provider, { sessions });
    await run(provider, jobRequest({ userRequest: 'first' }), deps);
    expect([...sessions.saved.keys()]).toEqual(['session-of-job-1']);
    const { sink } = await run(provider, jobRequest({ resumeSessionId: 'session-of-job-1' }), deps);
    expect(provider.runs[1]?.resume?.artifacts).toEqual([{ name: 'transcript', content: 'first' }]);
    expect(sink.events.at(-1)?.type).toBe('completed');
  });

  it('answers SESSION_NOT_FOUND for an unknown resume id without starting the provider', async () => {
    const provider = new ScriptedProvider(() => textTurn('x'));
    const { sink } = await run(provider, jobRequest({ resumeSessionId: 'nope' }));
    expect(sink.events.at(-1)).toMatchObject({ type: 'error', code: 'SESSION_NOT_FOUND', retryable: false });
    // The refusal says what would make it work: sessions without a database stay on their replica.
    expect(sink.events.at(-1)).toMatchObject({ message: expect.stringContaining('send the same `database`') });
    expect(provider.runs).toHaveLength(0);
  });

  it('clones the repository before the assistant, runs the assistant inside it and reports the changes', async () => {
    const provider = new ScriptedProvider(() => textTurn('x'));
    const { sink } = await run(provider, jobRequest({ github: { repoUrl: 'https://github.com/acme/api.git' } }));
    expect(provider.runs[0]?.workdir).toBe('/workspaces/job-1/repo');
    const types = sink.types();
    expect(types.indexOf('github_pull_progress')).toBeLessThan(types.indexOf('assistant_message'));
    expect(sink.events.at(-1)).toMatchObject({ type: 'completed', changes: { branch: 'main', pushed: false } });
  });

  it('remembers the pushed branch in the session, and a resumed job checks it out', async () => {
    const sessions = new MemorySessionStore();
    const provider = new ScriptedProvider(() => textTurn('x'));
    const deps = inMemoryDeps(provider, { sessions });
    const github = { repoUrl: 'https://github.com/acme/api.git', branch: 'main', push: { branch: 'agent/fix-1' } };
    await run(provider, jobRequest({ github }), deps);
    expect(sessions.saved.get('session-of-job-1')?.session.branch).toBe('agent/fix-1');
    const { sink } = await run(provider, jobRequest({ github: { repoUrl: github.repoUrl }, resumeSessionId: 'session-of-job-1' }), deps);
    expect(sink.events.at(-1)).toMatchObject({ type: 'completed', changes: { baseCommit: 'a'.repeat(40) } });
    expect(provider.runs[1]?.resume?.session.branch).toBe('agent/fix-1');
  });

  it('refuses a repository URL the repository adapter will not serve, under github.', () => {
    const provider = new ScriptedProvider(() => textTurn('x'));
    const result = new ExecutionUseCase(inMemoryDeps(provider)).admit(
      jobRequest({ accessToken: new Secret('token-123'), github: { repoUrl: 'file:///etc' } }),
    );
    expect(!result.ok && result.error.issues).toEqual([{ path: 'github.repoUrl', message: 'must be an https URL' }]);
  });
});

describe('ExecutionUseCase.admit', () => {
  const provider = new ScriptedProvider(() => textTurn('x'));
  const useCase = new ExecutionUseCase(inMemoryDeps(provider));

  it('refuses an unknown provider, naming the field', () => {
    const result = useCase.admit(jobRequest({ provider: 'nope', accessToken: new Secret('token-123') }));
    expect(!result.ok && result.error.issues).toEqual([{ path: 'codingAssistantProvider', message: 'must be one of: scripted' }]);
  });

  it('refuses an option the provider cannot honour, naming the provider', () => {
    const result = useCase.admit(jobRequest({ accessToken: new Secret('token-123'), options: { appendSystemPrompt: 'x' } }));
    expect(!result.ok && result.error.issues[0]).toEqual({ path: 'providerOptions.appendSystemPrompt', message: 'not supported by provider scripted' });
  });

  it('refuses a timeout over the worker limit', () => {
    const result = useCase.admit(jobRequest({ accessToken: new Secret('token-123'), timeoutMs: 10_000_000 }));
    expect(!result.ok && result.error.code).toBe('VALIDATION_FAILED');
  });

  it('asks for credentials when neither the request nor the worker has any', () => {
    const result = useCase.admit(jobRequest());
    expect(!result.ok && result.error.code).toBe('MISSING_CREDENTIALS');
    const withOwn = new ExecutionUseCase(inMemoryDeps(new ScriptedProvider(() => textTurn('x'), true)));
    expect(withOwn.admit(jobRequest()).ok).toBe(true);
  });
});

describe('ExecutionUseCase workspaces', () => {
  const failing = () => new ScriptedProvider(async function* () {
    throw new DomainError('PROVIDER_ERROR', 'the model API answered 529');
  });

  it('removes the fresh directory of a job once it has ended, completed or failed', async () => {
    for (const provider of [new ScriptedProvider(() => textTurn('x')), failing()]) {
      const workspace = new MemoryWorkspace();
      const { sink } = await run(provider, jobRequest(), inMemoryDeps(provider, { workspace }));
      expect(sink.events.at(-1)?.jobId).toBe('job-1');
      expect(workspace.released).toEqual(['job-1']);
    }
  });

  it('removes it after a cancellation too', async () => {
    const provider = new ScriptedProvider(async function* (_run, signal) {
      yield { type: 'item', item: { kind: 'text', text: 'working' } };
      await aborted(signal);
      throw new Error('killed');
    });
    const workspace = new MemoryWorkspace();
    const sink = new CollectingSink();
    const lease = new JobSlot().tryAcquire()!;
    const done = new ExecutionUseCase(inMemoryDeps(provider, { workspace })).execute(jobRequest(), sink, lease);
    await waitFor(() => sink.events.some((event) => event.type === 'assistant_message'));
    lease.abort(new DomainError('CANCELLED', 'the client disconnected'));
    await done;
    expect(sink.events.at(-1)).toMatchObject({ type: 'error', code: 'CANCELLED' });
    expect(workspace.released).toEqual(['job-1']);
  });

  it('keeps a named workspace, completed or failed', async () => {
    for (const provider of [new ScriptedProvider(() => textTurn('x')), failing()]) {
      const workspace = new MemoryWorkspace();
      await run(provider, jobRequest({ workspace: 'acme/api' }), inMemoryDeps(provider, { workspace }));
      expect(workspace.released).toEqual([]);
    }
  });

  it('removes it only after the terminal event and the last save of the session with its uncommitted work', async () => {
    const order: string[] = [];
    const provider = new ScriptedProvider(() => textTurn('x'));
    const deps = inMemoryDeps(provider);
    const sessions = new (class extends MemorySessionStore {
      override async save(snapshot: Parameters<MemorySessionStore['save']>[0]): Promise<void> {
        order.push(snapshot.work ? 'session saved with the work' : 'session saved');
        return super.save(snapshot);
      }
    })();
    const workspace = new (class extends MemoryWorkspace {
      override async release(jobId: string): Promise<void> {
        order.push('released');
        return super.release(jobId);
      }
    })();
    const repo = { ...deps.repo, saveWork: async () => ({ baseCommit: 'a'.repeat(40), patch: 'ZGlmZg==', bytes: 4 }) };
    const sink = new CollectingSink();
    const collecting = { send: (event: Parameters<CollectingSink['send']>[0], json: string) => {
      if (event.type === 'completed') order.push('completed');
      return sink.send(event, json);
    } };
    const lease = new JobSlot().tryAcquire()!;
    await new ExecutionUseCase({ ...deps, sessions, workspace, repo }).execute(jobRequest({ github: { repoUrl: 'https://github.com/acme/api.git' } }), collecting, lease);
    expect(order).toEqual(['session saved', 'session saved with the work', 'completed', 'released']);
  });

  it('logs a directory it could not remove, and the job still ends as it did', async () => {
    const provider = new ScriptedProvider(() => textTurn('x'));
    const warnings: string[] = [];
    const workspace = new (class extends MemoryWorkspace {
      override async release(): Promise<void> {
        throw new Error('EBUSY: resource busy or locked');
      }
    })();
    const logger = { info: () => undefined, error: () => undefined, warn: (_fields: object, message: string) => void warnings.push(message) };
    const { sink } = await run(provider, jobRequest(), inMemoryDeps(provider, { workspace, logger }));
    expect(sink.types().filter((type) => type === 'completed' || type === 'error')).toEqual(['completed']);
    expect(warnings).toEqual(['workspace not removed']);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('ExecutionUseCase limits', () => {
  it('cuts an item larger than maxItemChars and drops its raw line, which would carry it uncut', async () => {
    const provider = new ScriptedProvider(async function* () {
      yield { type: 'item', item: { kind: 'tool_result', id: 't', ok: true, output: 'z'.repeat(20_000) }, raw: { huge: 'z'.repeat(20_000) } };
      yield finished;
    });
    const { sink } = await run(provider, jobRequest({ includeRaw: true }));
    const event = sink.events.find((e) => e.type === 'assistant_message');
    expect(event).not.toHaveProperty('raw');
    expect(event?.type === 'assistant_message' && event.item.kind === 'tool_result' && event.item.output.length).toBeLessThan(10_100);
  });
});
