import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { freePort } from '../support/pool-supervisor.js';
import { postExecute, sseEvents, until } from '../support/sse-client.js';

describe('attacks on the HTTP surface', () => {
  let fx: E2eFixture;
  afterEach(async () => fx?.close());

  it('attack 6: /health stays 200 while a job runs; busy shows only in 429 and /status', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'hang' }]);
    const events = sseEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
    await until(events, 'connected');
    const health = await fetch(`${fx.worker.url}/health`);
    expect(health.status).toBe(200);
    expect(((await (await fetch(`${fx.worker.url}/status`)).json()) as { status: string }).status).toBe('busy');
    expect((await postExecute(fx.worker.url, executeBody(), { token: apiToken })).status).toBe(429);
    // A malformed body is a 400 busy or not: a client must not retry it elsewhere.
    const malformed = await postExecute(fx.worker.url, executeBody({ stream: true }), { token: apiToken });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', issues: [{ path: 'stream' }] } });
  });

  it('a body nested 500,000 deep is refused before any parse, and /health answers meanwhile', async () => {
    fx = await startE2e();
    const deep = '['.repeat(500_000) + ']'.repeat(500_000);
    const answer = fetch(`${fx.worker.url}/execute`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` }, body: deep });
    const health = await fetch(`${fx.worker.url}/health`);
    expect(health.status).toBe(200);
    const refused = await answer;
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('deeper than 32 levels') } });
    // Brackets inside a string are text, not nesting.
    const wordy = await postExecute(fx.worker.url, executeBody({ userRequest: '['.repeat(10_000), stream: 1 }), { token: apiToken });
    expect(await wordy.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', issues: [{ path: 'stream' }] } });
  });

  it('attack 7: an ephemeral worker answers 429 while its job runs, stays ready on its control port', async () => {
    const controlPort = await freePort();
    fx = await startE2e({ EXIT_AFTER_JOB: 'true', CONTROL_PORT: String(controlPort), HANDOFF_MS: '0' });
    const control = `http://127.0.0.1:${controlPort}`;
    fx.model.script([{ kind: 'hang' }]);
    const events = sseEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
    await until(events, 'connected');
    expect((await postExecute(fx.worker.url, executeBody(), { token: apiToken })).status).toBe(429);
    expect((await fetch(`${control}/health`)).status).toBe(200);
    expect((await fetch(`${control}/ready`)).status).toBe(200);
    expect((await fetch(`${control}/execute`, { method: 'POST' })).status).toBe(404);
  });

  it('attack 8: a slowloris client is cut within twice the headers timeout', async () => {
    fx = await startE2e({ HTTP_HEADERS_TIMEOUT_MS: '1000' });
    const { port } = new URL(fx.worker.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined); // the drip may write after the server has hung up
    await new Promise((resolve) => socket.once('connect', resolve));
    const started = Date.now();
    socket.write('POST /execute HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 200);
    await new Promise((resolve) => socket.once('close', resolve));
    clearInterval(drip);
    // Not a speed limit: without the fix Node cut such a client only after about 30 s.
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('attack 10: a NUL byte in a token is refused with 400 that does not echo it', async () => {
    fx = await startE2e();
    const secret = 'sk-ant-api03-nul\u0000-very-secret-value';
    const response = await postExecute(fx.worker.url, executeBody({ codingAssistantAccessToken: secret }), { token: apiToken });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('codingAssistantAccessToken');
    expect(text).not.toContain('very-secret-value');
    expect(fx.worker.output.join('\n')).not.toContain('very-secret-value');
  });
});
