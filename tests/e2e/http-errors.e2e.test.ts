import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

describe('answers before the stream starts', () => {
  let fx: E2eFixture;
  beforeAll(async () => {
    fx = await startE2e();
  });
  afterAll(async () => fx.close());

  const post = (body: unknown, options: Parameters<typeof postExecute>[2] = { token: apiToken }) =>
    postExecute(fx.worker.url, body, options);

  it.each([
    ['a missing userRequest', { codingAssistantProvider: 'claude-code' }, 'userRequest'],
    ['an empty userRequest', executeBody({ userRequest: '' }), 'userRequest'],
    ['a userRequest over 200000 characters', executeBody({ userRequest: 'x'.repeat(200_001) }), 'userRequest'],
    ['a wrongly typed userRequest', executeBody({ userRequest: 42 }), 'userRequest'],
    ['a NUL byte in userRequest', executeBody({ userRequest: 'a\u0000b' }), 'userRequest'],
    ['an unknown field', executeBody({ extra: true }), 'extra'],
    ['an unknown provider', executeBody({ codingAssistantProvider: 'nope' }), 'codingAssistantProvider'],
    ['a resume id with a path separator', executeBody({ resumeSessionId: '../etc/passwd' }), 'resumeSessionId'],
    ['a workspace with ..', executeBody({ workspace: 'a/../../etc' }), 'workspace'],
    ['an absolute workspace', executeBody({ workspace: '/etc' }), 'workspace'],
    ['maxTurns over the worker ceiling (MAX_TURNS, 500)', executeBody({ providerOptions: { maxTurns: 501 } }), 'providerOptions.maxTurns'],
    ['a zero maxTurns', executeBody({ providerOptions: { maxTurns: 0 } }), 'providerOptions.maxTurns'],
    ['a negative maxCostUsd', executeBody({ providerOptions: { maxCostUsd: -1 } }), 'providerOptions.maxCostUsd'],
    ['a zero maxCostUsd', executeBody({ providerOptions: { maxCostUsd: 0 } }), 'providerOptions.maxCostUsd'],
    ['a non-numeric maxCostUsd', executeBody({ providerOptions: { maxCostUsd: '5' } }), 'providerOptions.maxCostUsd'],
    ['a fractional maxTokens', executeBody({ providerOptions: { maxTokens: 10.5 } }), 'providerOptions.maxTokens'],
    ['a negative maxTokens', executeBody({ providerOptions: { maxTokens: -10 } }), 'providerOptions.maxTokens'],
    ['an unknown permission mode', executeBody({ providerOptions: { permissionMode: 'yolo' } }), 'providerOptions.permissionMode'],
    ['a timeout over MAX_JOB_MS', executeBody({ providerOptions: { timeoutMs: 10 ** 12 } }), 'providerOptions.timeoutMs'],
    ['an option-looking branch', executeBody({ github: { repoUrl: 'https://github.com/a/b.git', branch: '--upload-pack=x' } }), 'github.branch'],
  ])('400 VALIDATION_FAILED for %s, naming the field', async (_name, body, path) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues.map((issue) => issue.path)).toContain(path);
  });

  it('400 for malformed JSON', async () => {
    const response = await post('{"userRequest": ');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it('400 MISSING_CREDENTIALS when neither the request nor the worker has credentials', async () => {
    const response = await post(executeBody({ codingAssistantAccessToken: undefined }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'MISSING_CREDENTIALS', issues: [{ path: 'codingAssistantAccessToken' }] } });
  });

  it.each([
    ['no bearer token', undefined],
    ['a wrong bearer token', 'worker-api-token-0123456789abcdeX'],
    ['a malformed bearer token', 'not a token!'],
  ])('401 for %s', async (_name, token) => {
    const response = await post(executeBody(), { token });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it('413 for a body over 1 MiB', async () => {
    const response = await post(executeBody({ userRequest: 'x'.repeat(10 * 1024 * 1024) }));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('413 for a chunked body that grows past 1 MiB without declaring its length, and the worker takes the next job', async () => {
    const piece = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"userRequest":"'));
        // 8 MiB if the worker kept reading; it answers after a little over 1 MiB.
        if (sent++ < 128) controller.enqueue(piece);
        else controller.close();
      },
    });
    const response = await fetch(`${fx.worker.url}/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect((await post({ userRequest: 'x' })).status).toBe(400);
  });

  it('415 for a body that is not JSON', async () => {
    const response = await post('userRequest=x', { token: apiToken, contentType: 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('404 with a JSON error for an unknown route, and 409 for /cancel when idle', async () => {
    expect((await fetch(`${fx.worker.url}/nope`)).status).toBe(404);
    const cancel = await fetch(`${fx.worker.url}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${apiToken}` } });
    expect(cancel.status).toBe(409);
    expect(await cancel.json()).toMatchObject({ error: { code: 'NO_RUNNING_JOB' } });
  });

  it('answers /health and /status without a token', async () => {
    expect(await (await fetch(`${fx.worker.url}/health`)).json()).toMatchObject({ status: 'ok', version: '0.1.0', uptimeS: expect.any(Number) });
    expect(await (await fetch(`${fx.worker.url}/status`)).json()).toEqual({ status: 'idle' });
  });

  it('accepts exactly one of many simultaneous requests; the rest get 429 with Retry-After', async () => {
    fx.model.script([{ kind: 'text', text: 'one job' }]);
    const responses = await Promise.all(Array.from({ length: 8 }, () => post(executeBody())));
    const accepted = responses.filter((response) => response.status === 200);
    const busy = responses.filter((response) => response.status === 429);
    expect(accepted).toHaveLength(1);
    expect(busy).toHaveLength(7);
    for (const response of busy) {
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await response.json()).toMatchObject({ error: { code: 'WORKER_BUSY' } });
    }
    const events = await collectEvents(accepted[0]!);
    expect(events.at(-1)?.data.type).toBe('completed');
  });
});
