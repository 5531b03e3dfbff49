import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cwdOf } from '../support/scripted-anthropic.js';
import { apiToken, executeBody, providerToken, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { processTexts } from '../support/processes.js';
import { collectEvents, postExecute, sseEvents } from '../support/sse-client.js';

describe('POST /execute with the real claude CLI', () => {
  let fx: E2eFixture;
  afterEach(async () => fx?.close());

  it('streams the job event by event until exactly one completed event, and the file exists', async () => {
    fx = await startE2e();
    fx.model.script([
      { kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request)!, 'hello.ts'), content: 'export {};\n' }) },
      { kind: 'text', text: 'Created hello.ts' },
    ]);
    const response = await postExecute(fx.worker.url, executeBody({ workspace: 'acme/api' }), { token: apiToken });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = await collectEvents(response);

    expect(events.map((event) => Number(event.id))).toEqual(events.map((_, index) => index));
    expect(events.every((event) => event.event === event.data.type)).toBe(true);
    expect(events[0]?.data).toMatchObject({ type: 'connected', provider: 'claude-code', apiVersion: '1' });
    const terminal = events.filter((event) => event.data.type === 'completed' || event.data.type === 'error');
    expect(terminal).toHaveLength(1);
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed', result: 'Created hello.ts', numTurns: 2 });
    const items = events.filter((event) => event.data.type === 'assistant_message').map((event) => event.data.item as { kind: string });
    // Usage after each of the model's answers (the job's so far), then the total with the result.
    expect(items.map((item) => item.kind)).toEqual(['session', 'tool_call', 'usage', 'tool_result', 'text', 'usage', 'usage']);
    const completed = events.at(-1)!.data;
    expect(completed.usage).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    expect(readFileSync(join(fx.workspaceDir, 'acme/api/hello.ts'), 'utf8')).toBe('export {};\n');
  });

  it('resumes a session from another workspace path: the model receives the earlier turns', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'text', text: 'noted' }]);
    const first = await collectEvents(await postExecute(fx.worker.url, executeBody({ workspace: 'one', userRequest: 'remember banana' }), { token: apiToken }));
    const sessionId = first.at(-1)!.data.sessionId as string;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);

    fx.model.script([{ kind: 'text', text: 'banana' }]);
    const second = await collectEvents(
      // An absolute workspace inside WORKSPACE_DIR works as the relative one does.
      await postExecute(fx.worker.url, executeBody({ workspace: join(fx.workspaceDir, 'two'), resumeSessionId: sessionId, userRequest: 'which word?' }), { token: apiToken }),
    );
    expect(second.at(-1)?.data).toMatchObject({ type: 'completed', sessionId, result: 'banana' });
    const [firstTurn, secondTurn] = fx.model.mainLoopRequests();
    expect(secondTurn!.messageCount).toBeGreaterThan(firstTurn!.messageCount);
    expect(JSON.stringify(secondTurn!.body.messages)).toContain('remember banana');
    expect(cwdOf(secondTurn!)).toBe(realpathSync(join(fx.workspaceDir, 'two')));

    const outside = await postExecute(fx.worker.url, executeBody({ workspace: '/etc' }), { token: apiToken });
    expect(outside.status).toBe(400);
    expect(JSON.stringify(await outside.json())).toContain('must be a directory inside WORKSPACE_DIR');
  });

  it('answers SESSION_NOT_FOUND for a session this worker never saw', async () => {
    fx = await startE2e();
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ resumeSessionId: 'no-such-session' }), { token: apiToken }));
    expect(events.at(-1)?.data).toMatchObject({ type: 'error', code: 'SESSION_NOT_FOUND', retryable: false });
    expect(fx.model.mainLoopRequests()).toHaveLength(0);
  });

  it('reports the model API refusing the key as PROVIDER_ERROR', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'status', status: 401 }]);
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
    expect(events.at(-1)?.data).toMatchObject({ type: 'error', code: 'PROVIDER_ERROR', retryable: false });
  });

  it('keeps every token out of events, logs and the argv and environment of the CLI', async () => {
    fx = await startE2e();
    let seen: ReturnType<typeof processTexts> = [];
    fx.model.script([
      {
        kind: 'tool_use',
        name: 'Write',
        input: (request) => {
          // The CLI is running now: look at every process on the machine.
          seen = processTexts();
          return { file_path: join(cwdOf(request)!, 'echo.txt'), content: `key ${providerToken}\n` };
        },
      },
      { kind: 'text', text: `the key is ${providerToken}` },
    ]);
    const response = await postExecute(fx.worker.url, executeBody({ providerOptions: { includeRaw: true } }), { token: apiToken });
    const raw: string[] = [];
    for await (const event of sseEvents(response)) raw.push(event.raw);
    const stream = raw.join('\n');
    expect(stream).toContain('[REDACTED]');
    expect(stream).not.toContain(providerToken);
    expect(stream).not.toContain(apiToken);
    expect(fx.worker.output.join('\n')).not.toContain(providerToken);
    expect(fx.worker.output.join('\n')).not.toContain(apiToken);
    // This job's CLI: its HOME is under the worker's state dir (other claude processes may run on the machine).
    const claude = seen.filter((p) => p.argv.includes('stream-json') && p.environ.includes(`HOME=${fx.workspaceDir}/`));
    expect(claude.length).toBeGreaterThan(0);
    for (const process of seen) {
      expect(process.argv).not.toContain(providerToken);
      expect(process.argv).not.toContain(apiToken);
    }
    // The CLI holds only the job's placeholder; the credential proxy gives the model API the real key.
    for (const process of claude) {
      expect(process.environ).not.toContain(apiToken);
      expect(process.environ).not.toContain(providerToken);
      expect(process.environ).toMatch(/^ANTHROPIC_API_KEY=sk-ant-api03-[\w-]{80,}$/m);
      expect(process.environ).toMatch(/^ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    }
    const messages = fx.model.requests.filter((request) => request.method === 'POST');
    expect(messages.length).toBeGreaterThan(0);
    for (const request of messages) expect(request.headers['x-api-key']).toBe(providerToken);
  });
});
