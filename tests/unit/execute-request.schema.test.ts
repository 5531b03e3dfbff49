import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { toJobRequest } from '../../src/adapters/http/execute-request.mapper.js';
import { executeRequestSchema } from '../../src/adapters/http/execute-request.schema.js';
import { nestsDeeperThan } from '../../src/adapters/http/json-depth.js';
import { requestIssue } from '../../src/adapters/shared/request-issue.js';

const valid = { userRequest: 'hi', codingAssistantProvider: 'claude-code' };
const paths = (body: unknown) => {
  const result = v.safeParse(executeRequestSchema, body);
  return result.success ? [] : result.issues.map((issue) => v.getDotPath(issue));
};

describe('executeRequestSchema', () => {
  it('names an unknown field as such, at every level, and says when a field must be an object', () => {
    const messages = (body: unknown) => {
      const result = v.safeParse(executeRequestSchema, body);
      return result.success ? [] : result.issues.map((issue) => `${v.getDotPath(issue)}: ${issue.message}`);
    };
    expect(messages({ ...valid, stream: true })).toEqual(['stream: unknown field "stream"']);
    expect(messages({ ...valid, providerOptions: { temperature: 1 } })).toEqual(['providerOptions.temperature: unknown field "temperature"']);
    expect(messages({ ...valid, github: 'https://github.com/a/b' })).toEqual(['github: must be an object']);
  });

  it('accepts a full request and wraps every credential as a Secret', () => {
    const body = {
      ...valid,
      codingAssistantAccessToken: 'sk-ant-1',
      resumeSessionId: 'abc-1.2_3',
      workspace: 'acme/api.v2',
      github: { repoUrl: 'https://github.com/acme/api.git', branch: 'feature/x-1', accessToken: 'ghp_x', push: { branch: 'agent/fix-123' } },
      database: { sessionId: 's-1', accessToken: 'db' },
      providerOptions: { model: 'claude-sonnet-4-5', maxTurns: 5, maxCostUsd: 0.5, maxTokens: 10_000, permissionMode: 'acceptEdits', allowedTools: ['Bash(git *)'], timeoutMs: 1000, includeRaw: true },
    };
    const result = v.safeParse(executeRequestSchema, body);
    expect(result.success).toBe(true);
    const request = toJobRequest(result.output as never);
    expect(JSON.stringify(request)).not.toMatch(/sk-ant-1|ghp_x|"db"/);
    expect(request.accessToken?.reveal()).toBe('sk-ant-1');
    expect(request).toMatchObject({ timeoutMs: 1000, includeRaw: true, budget: { maxTurns: 5, maxCostUsd: 0.5, maxTokens: 10_000 }, options: { model: 'claude-sonnet-4-5' } });
    // The job's own limits are the job's, not options handed to a provider.
    for (const name of ['timeoutMs', 'maxTurns', 'maxCostUsd', 'maxTokens']) expect(request.options).not.toHaveProperty(name);
  });

  it.each([
    ['..', 'resumeSessionId', { resumeSessionId: '..' }],
    ['a slash in a resume id', 'resumeSessionId', { resumeSessionId: 'a/b' }],
    ['an over-long resume id', 'resumeSessionId', { resumeSessionId: 'a'.repeat(129) }],
    ['a hidden workspace segment', 'workspace', { workspace: 'a/.git' }],
    ['an empty workspace segment', 'workspace', { workspace: 'a//b' }],
    ['unicode in a workspace', 'workspace', { workspace: 'caf\u00e9' }],
    ['a branch with ..', 'github.branch', { github: { repoUrl: 'https://x.test/r.git', branch: 'a..b' } }],
    ['a branch ending in .lock', 'github.branch', { github: { repoUrl: 'https://x.test/r.git', branch: 'a.lock' } }],
    ['a token with a newline', 'codingAssistantAccessToken', { codingAssistantAccessToken: 'a\nb' }],
    ['a model with a space', 'providerOptions.model', { providerOptions: { model: 'a b' } }],
    ['a tool starting with -', 'providerOptions.allowedTools.0', { providerOptions: { allowedTools: ['--x'] } }],
    ['a fractional maxTurns', 'providerOptions.maxTurns', { providerOptions: { maxTurns: 1.5 } }],
    ['includeRaw as a string', 'providerOptions.includeRaw', { providerOptions: { includeRaw: 'yes' } }],
    ['an unknown nested field', 'providerOptions.foo', { providerOptions: { foo: 1 } }],
  ])('refuses %s', (_name, path, extra) => {
    expect(paths({ ...valid, ...extra })).toContain(path);
  });
});

describe('nestsDeeperThan', () => {
  it('counts brackets outside strings only, escapes included', () => {
    expect(nestsDeeperThan(Buffer.from('{"a":[[1]]}'), 3)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('{"a":[[[1]]]}'), 3)).toBe(true);
    expect(nestsDeeperThan(Buffer.from('{"a":"[[[[\\\\"}'), 1)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('{"a":"\\"[[[[","b":1}'), 1)).toBe(false);
  });
});

describe('the messages a client reads', () => {
  const messages = (body: unknown) => {
    const parsed = v.safeParse(executeRequestSchema, body);
    return parsed.success ? [] : parsed.issues.map(requestIssue);
  };

  it('say in plain words what the request got wrong, never valibot\'s defaults', () => {
    const base = { userRequest: 'x', codingAssistantProvider: 'claude-code' };
    expect(messages({ ...base, codingAssistantAccessToken: '' })).toContainEqual({ path: 'codingAssistantAccessToken', message: 'must not be empty' });
    expect(messages({ ...base, userRequest: 7 })).toEqual([{ path: 'userRequest', message: 'must be a string, not 7' }]);
    expect(messages({ ...base, providerOptions: { maxTurns: 1.5 } })).toEqual([{ path: 'providerOptions.maxTurns', message: 'must be a whole number' }]);
    expect(messages({ ...base, providerOptions: { maxTurns: 0 } })).toEqual([{ path: 'providerOptions.maxTurns', message: 'must be at least 1' }]);
    expect(messages({ ...base, providerOptions: { allowedTools: 'Bash' } })).toEqual([{ path: 'providerOptions.allowedTools', message: 'must be an array, not "Bash"' }]);
    expect(messages({ ...base, github: 'acme/api' })).toEqual([{ path: 'github', message: 'must be an object' }]);
    expect(messages({ ...base, github: {} })).toEqual([{ path: 'github.repoUrl', message: 'is required' }]);
    expect(messages({ codingAssistantProvider: 'claude-code' })).toEqual([{ path: 'userRequest', message: 'is required' }]);
    expect(messages({ ...base, stream: true })).toEqual([{ path: 'stream', message: 'unknown field "stream"' }]);
    const hostile = [
      { ...base, userRequest: '' },
      { ...base, userRequest: 'x'.repeat(200_001) },
      { ...base, resumeSessionId: 5, workspace: null, onDisconnect: 'maybe', providerOptions: { includeRaw: 'yes', timeoutMs: -1, model: 3 } },
      { ...base, database: { sessionId: 's' }, github: { repoUrl: 1, push: { branch: 2 } } },
      null,
      'text',
      [],
    ];
    for (const body of hostile) {
      for (const issue of messages(body)) expect(issue.message, JSON.stringify(issue)).not.toMatch(/^Invalid |Expected|received/);
    }
  });
});
