import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, startE2e, type E2eFixture } from '../support/e2e-fixture.js';

/** Strings with the characters that break things: NULs, controls, unicode, path tricks, huge ones. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '..', '../../etc/passwd', '/etc', 'a\u0000b', '--upload-pack=x', 'file:///etc', 'https://x:y@github.com/a/b.git', '\u202e', 'caf\u00e9/\u2603', 'x'.repeat(300_000)),
);
const value = fc.oneof(nasty, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(nasty, { maxLength: 3 }), fc.dictionary(nasty, nasty, { maxKeys: 3 }));

/** Bodies near the real schema: the known fields with wrong or hostile values, and strangers. */
const body = fc.record(
  {
    userRequest: value,
    codingAssistantProvider: fc.oneof(fc.constant('claude-code'), value),
    codingAssistantAccessToken: fc.oneof(fc.constant('sk-ant-fuzz.token.value'), value),
    resumeSessionId: value,
    workspace: value,
    github: fc.oneof(value, fc.record({ repoUrl: value, branch: value, accessToken: value }, { requiredKeys: [] })),
    database: fc.oneof(value, fc.record({ sessionId: value, accessToken: value }, { requiredKeys: [] })),
    providerOptions: fc.oneof(value, fc.record({ model: value, maxTurns: value, permissionMode: value, allowedTools: value, timeoutMs: value, includeRaw: value }, { requiredKeys: [] })),
    extra: value,
  },
  { requiredKeys: [] },
);

describe('fuzzing POST /execute', () => {
  let fx: E2eFixture;
  beforeAll(async () => {
    // A job that does get accepted must end at once: the model API is a closed port.
    fx = await startE2e({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' });
  });
  afterAll(async () => fx.close());

  it('answers every body with a 4xx or a stream: never a 500, never a hang', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(body, value), async (payload) => {
        const response = await fetch(`${fx.worker.url}/execute`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
          body: JSON.stringify(payload) ?? 'null',
          signal: AbortSignal.timeout(15_000),
        });
        expect([200, 400, 413, 429]).toContain(response.status);
        const text = await response.text();
        if (response.status !== 200) expect(JSON.parse(text)).toHaveProperty('error.code');
      }),
      { numRuns: 150 },
    );
    expect(fx.worker.child.exitCode).toBeNull();
  });
});
