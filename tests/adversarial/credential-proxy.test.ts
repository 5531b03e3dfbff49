import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, providerToken, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startScriptedOpenAi, type ScriptedOpenAi } from '../support/scripted-openai.js';
import { processTexts } from '../support/processes.js';
import { collectEvents, postExecute, sseEvents, until } from '../support/sse-client.js';

const withBash = executeBody({ providerOptions: { allowedTools: ['Bash'] } });

/** The output of the job's one Bash call. */
function toolOutput(events: Array<{ data: Record<string, unknown> }>): string {
  const result = events.find((event) => (event.data.item as { kind?: string } | undefined)?.kind === 'tool_result');
  return (result?.data.item as { output: string }).output;
}

/** Each probe prints `name:<HTTP status>`; the agent has curl, as most images do. */
const probe = (name: string, args: string): string => `curl -s -o /dev/null -w "${name}:%{http_code}\\n" ${args}`;

describe('an agent going after the provider key, with the credential proxy on (the default)', () => {
  let fx: E2eFixture;
  let probeDir: string;
  beforeEach(async () => {
    fx = await startE2e();
    // Outside the workspace, writable by the agent: what it finds is longer than one tool result.
    probeDir = await mkdtemp(join(tmpdir(), 'uw-proxy-probe-'));
    await chmod(probeDir, 0o777);
  });
  afterEach(async () => {
    await fx.close();
    await rm(probeDir, { recursive: true, force: true });
  });

  it('finds the key in no environment, argv or file of its HOME: there is nothing to mask', async () => {
    const found = join(probeDir, 'found.txt');
    const look = `{ env; for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr "\\0" "\\n" < "$f"; done; find "$HOME" -type f -print -exec cat {} \\; ; } > ${found} 2>/dev/null; echo looked`;
    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: look, description: 'look around' } },
      { kind: 'text', text: 'looked' },
    ]);
    const events = await collectEvents(await postExecute(fx.worker.url, withBash, { token: apiToken }));
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed' });
    const text = await readFile(found, 'utf8');
    expect(text).toMatch(/^ANTHROPIC_API_KEY=sk-ant-api03-[\w-]{80,}$/m);
    expect(text).toContain('/.claude');
    expect(text).not.toContain(providerToken);
    const stream = events.map((event) => event.raw).join('\n');
    expect(stream).not.toContain(providerToken);
    expect(stream).not.toContain('[REDACTED]');
    // Meanwhile the model API received the real key on every call, and never the placeholder.
    const calls = fx.model.requests.filter((request) => request.method === 'POST');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) expect(call.headers['x-api-key']).toBe(providerToken);
  });

  it('gets 401 with any other key and 404 off the Messages API; with its placeholder it can only spend, while the job runs', async () => {
    const probes = [
      probe('wrong-key', '-X POST -H "x-api-key: sk-ant-api03-guessed" -d "{}" "$ANTHROPIC_BASE_URL/v1/messages"'),
      probe('no-key', '-X POST -d "{}" "$ANTHROPIC_BASE_URL/v1/messages"'),
      probe('other-path', '-X POST -H "x-api-key: $ANTHROPIC_API_KEY" -d "{}" "$ANTHROPIC_BASE_URL/v1/files"'),
      probe('get-models', '-H "x-api-key: $ANTHROPIC_API_KEY" "$ANTHROPIC_BASE_URL/v1/models"'),
      probe('placeholder', '-X POST -H "x-api-key: $ANTHROPIC_API_KEY" -H "content-type: application/json" -d "{}" "$ANTHROPIC_BASE_URL/v1/messages/count_tokens"'),
      'echo "proxy:$ANTHROPIC_BASE_URL"',
    ].join('; ');
    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: probes, description: 'probe the proxy' } },
      { kind: 'text', text: 'probed' },
    ]);
    const events = await collectEvents(await postExecute(fx.worker.url, withBash, { token: apiToken }));
    const output = toolOutput(events);
    expect(output).toContain('wrong-key:401');
    expect(output).toContain('no-key:401');
    expect(output).toContain('other-path:404');
    expect(output).toContain('get-models:404');
    expect(output).toContain('placeholder:200');
    const paths = fx.model.requests.map((request) => `${request.method} ${request.path.split('?')[0]}`);
    expect(paths.filter((path) => path.includes('/v1/files') || path.includes('/v1/models'))).toEqual([]);
    expect(paths.filter((path) => path === 'POST /v1/messages/count_tokens')).toHaveLength(1);
    for (const call of fx.model.requests.filter((request) => request.method === 'POST')) expect(call.headers['x-api-key']).toBe(providerToken);

    await fx.worker.logged('job ended');
    const proxyUrl = /proxy:(\S+)/.exec(output)![1]!;
    expect(proxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(fetch(`${proxyUrl}/v1/messages`, { method: 'POST', body: '{}' })).rejects.toThrow();
  });

  it('loses the proxy when the job is cancelled mid-request', async () => {
    let proxyUrl: string | undefined;
    fx.model.script([
      {
        kind: 'tool_use',
        name: 'Bash',
        input: () => {
          // The CLI is running now: its environment names its proxy.
          const cli = processTexts().find((p) => p.argv.includes('stream-json') && p.environ.includes(`HOME=${fx.workspaceDir}/`));
          proxyUrl = /^ANTHROPIC_BASE_URL=(\S+)$/m.exec(cli?.environ ?? '')?.[1];
          return { command: 'echo ready', description: 'ready' };
        },
      },
      { kind: 'hang' },
    ]);
    const controller = new AbortController();
    const events = sseEvents(await postExecute(fx.worker.url, withBash, { token: apiToken, signal: controller.signal }));
    await until(events, (event) => (event.data.item as { kind?: string } | undefined)?.kind === 'tool_result');
    controller.abort();
    expect(await fx.worker.logged('job ended')).toMatchObject({ failure: 'CANCELLED' });
    expect(proxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(fetch(`${proxyUrl}/v1/messages`, { method: 'POST', body: '{}' })).rejects.toThrow();
  });

  it('sends an OAuth token as the bearer the CLI would have sent, while the agent holds a placeholder OAuth token', async () => {
    const oauthToken = 'sk-ant-oat01-test.oauth.token.abcdefghijklmnop';
    const found = join(probeDir, 'env.txt');
    let cliEnv = '';
    fx.model.script([
      {
        kind: 'tool_use',
        name: 'Bash',
        input: () => {
          // The CLI keeps its OAuth variable out of its tools' shells: read its own environment.
          cliEnv = processTexts().find((p) => p.argv.includes('stream-json') && p.environ.includes(`HOME=${fx.workspaceDir}/`))?.environ ?? '';
          return { command: `env > ${found}`, description: 'env' };
        },
      },
      { kind: 'text', text: 'done' },
    ]);
    const events = await collectEvents(await postExecute(fx.worker.url, { ...withBash, codingAssistantAccessToken: oauthToken }, { token: apiToken }));
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed' });
    expect(cliEnv).toMatch(/^CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-[\w-]{80,}$/m);
    expect(cliEnv).not.toContain('ANTHROPIC_API_KEY');
    for (const env of [cliEnv, await readFile(found, 'utf8')]) expect(env).not.toContain(oauthToken);
    const calls = fx.model.requests.filter((request) => request.method === 'POST');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) {
      expect(call.headers.authorization).toBe(`Bearer ${oauthToken}`);
      expect(call.headers['anthropic-beta']).toContain('oauth-2025-04-20');
      expect(call.headers['x-api-key']).toBeUndefined();
    }
  });
});

describe('codex behind the credential proxy', () => {
  let fx: E2eFixture;
  let openai: ScriptedOpenAi;
  beforeEach(async () => {
    openai = await startScriptedOpenAi();
    fx = await startE2e({ CODEX_BASE_URL: openai.url, CODEX_MODEL: 'scripted-model', CODEX_MAX_RETRIES: '0' });
  });
  afterEach(async () => {
    await fx.close();
    await openai.close();
  });

  it('holds a placeholder key in its environment and HOME while the Responses API gets the real one as a bearer', async () => {
    const key = 'sk-proj-test.codex.proxy.0123456789abcdef';
    let cliEnv = '';
    openai.script([
      {
        kind: 'tool_call',
        name: 'exec_command',
        args: () => {
          // Codex is running now: read its own environment (it keeps KEY variables out of its shells).
          cliEnv = processTexts().find((p) => p.argv.includes('--json') && p.environ.includes(`HOME=${fx.workspaceDir}/`))?.environ ?? '';
          // Its config first (codex cuts long outputs), then every text file of its HOME (its sqlite state is binary).
          return { cmd: 'cat "$CODEX_HOME/config.toml"; env; find "$HOME" -type f -exec grep -IH "" {} +' };
        },
      },
      { kind: 'text', text: 'looked' },
    ]);
    const events = await collectEvents(
      await postExecute(fx.worker.url, { userRequest: 'look', codingAssistantProvider: 'codex', codingAssistantAccessToken: key }, { token: apiToken }),
    );
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed' });
    expect(cliEnv).toMatch(/^CODEX_API_KEY=sk-proj-[\w-]{80,}$/m);
    expect(cliEnv).not.toContain(key);
    const stream = events.map((event) => event.raw).join('\n');
    // Its HOME was read: config.toml names the proxy as the model API.
    expect(stream).toMatch(/base_url = \\"http:\/\/127\.0\.0\.1:\d+\\"/);
    expect(stream).not.toContain(key);
    expect(stream).not.toContain('[REDACTED]');
    expect(openai.requests.length).toBeGreaterThanOrEqual(2);
    for (const request of openai.requests) expect(request.headers.authorization).toBe(`Bearer ${key}`);
  });
});
