import { afterEach, describe, expect, it } from 'vitest';
import { secretForms } from '../../src/domain/secret-forms.js';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startFaultDbApi, type FaultDbApi } from '../support/fault-db-api.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

// Characters that percent-encoding and both base64 alphabets treat differently.
const key = 'sk-ant-enc/oded+key=0123456789abcdef';
const refreshToken = 'sk-ant-ort01-refresh/token+0123456789abcdef';
const credentials = JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-access.0123456789abcdef', refreshToken, expiresAt: 4102444800000, scopes: ['user:inference'] } });

/** A Bash command that prints `secret` in every encoding an agent could smuggle it out in. */
const printEncoded = (variable: string) =>
  `node -e '${[
    `const s = process.env.${variable} ?? "";`,
    'for (const pad of ["", "a", "ab"]) { const b = Buffer.from(pad + s).toString("base64"); console.log(b); console.log(b.replaceAll("+", "-").replaceAll("/", "_")); }',
    'console.log(Buffer.from(s).toString("hex")); console.log(Buffer.from(s).toString("hex").toUpperCase()); console.log(encodeURIComponent(s));',
  ].join(' ')}'`;

/** The encoded texts themselves, as the agent prints them. */
function encodings(secret: string): string[] {
  const out: string[] = [];
  for (const pad of ['', 'a', 'ab']) {
    const b = Buffer.from(pad + secret).toString('base64');
    out.push(b, b.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return [...out, Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('hex').toUpperCase(), encodeURIComponent(secret)];
}

describe('secrets that leave encoded', () => {
  let fx: E2eFixture | undefined;
  let api: FaultDbApi | undefined;
  afterEach(async () => {
    await fx?.close();
    await api?.close();
  });

  it('the key in base64 (three alignments, both alphabets), hex and percent-encoding is masked in the stream and the stored chunks', async () => {
    api = await startFaultDbApi();
    // With the credential proxy the agent never sees the key; without it, it reads the key from its environment.
    fx = await startE2e({ DB_BASE_URL: api.url, CREDENTIAL_PROXY: 'false' });
    fx.model.script([
      { kind: 'tool_use', name: 'Bash', input: { command: printEncoded('ANTHROPIC_API_KEY'), description: 'encode' } },
      { kind: 'text', text: 'encoded' },
    ]);
    const events = await collectEvents(
      await postExecute(
        fx.worker.url,
        executeBody({ codingAssistantAccessToken: key, database: { sessionId: 'enc', accessToken: api.token }, providerOptions: { allowedTools: ['Bash'] } }),
        { token: apiToken },
      ),
    );
    const output = events.map((event) => event.raw).join('\n');
    expect(output).toContain('[REDACTED]');
    await fx.worker.logged('job ended');
    const stored = JSON.stringify(api.chunks('enc'));
    for (const encoded of encodings(key)) {
      // What survives of an encoding is at most the few characters at its edges that also hold the padding.
      for (const form of secretForms(key).filter((form) => encoded.includes(form))) {
        expect(output).not.toContain(form);
        expect(stored).not.toContain(form);
      }
      expect(output).not.toContain(encoded);
      expect(stored).not.toContain(encoded);
    }
  });

  it('the refresh token of the worker\'s own login is masked, not only the whole credentials document', async () => {
    fx = await startE2e({ CLAUDE_CODE_CREDENTIALS_JSON: credentials });
    fx.model.script([{ kind: 'text', text: `my refresh token is ${refreshToken}, encoded ${Buffer.from(refreshToken).toString('base64')}` }]);
    const events = await collectEvents(await postExecute(fx.worker.url, executeBody({ codingAssistantAccessToken: undefined }), { token: apiToken }));
    const output = events.map((event) => event.raw).join('\n');
    expect(output).toContain('my refresh token is [REDACTED]');
    expect(output).not.toContain(refreshToken);
    expect(output).not.toContain(Buffer.from(refreshToken).toString('base64'));
  });
});
