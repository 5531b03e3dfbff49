import { describe, expect, it } from 'vitest';
import { claudeArgs } from '../../src/adapters/providers/claude-code/claude-code.args.js';
import { claudeEnv } from '../../src/adapters/providers/claude-code/claude-code.env.js';
import { Secret } from '../../src/domain/secret.js';

describe('claudeArgs', () => {
  it('starts a headless stream-json run with a session id chosen up front, prompt not in argv', () => {
    expect(claudeArgs({ options: {}, defaultPermissionMode: 'acceptEdits', session: { create: 'id-1' } })).toEqual([
      '-p', '--output-format', 'stream-json', '--verbose', '--setting-sources=user', '--strict-mcp-config',
      '--permission-mode=acceptEdits', '--session-id=id-1',
    ]);
  });

  it('maps every option to its flag, as --flag=value so no value can pose as a flag', () => {
    const args = claudeArgs({
      options: {
        model: 'claude-x',
        permissionMode: 'plan',
        allowedTools: ['Bash(git *)', 'Edit'],
        disallowedTools: ['WebFetch'],
        appendSystemPrompt: '--be brief',
        trustRepoSettings: true,
      },
      maxTurns: 3,
      defaultPermissionMode: 'acceptEdits',
      session: { resume: 'abc' },
    });
    expect(args).toEqual([
      '-p', '--output-format', 'stream-json', '--verbose', '--setting-sources=user,project,local',
      '--permission-mode=plan', '--resume=abc',
      '--model=claude-x', '--max-turns=3', '--append-system-prompt=--be brief',
      '--allowedTools=Bash(git *),Edit', '--disallowedTools=WebFetch',
    ]);
  });
});

describe('claudeEnv', () => {
  const base = { home: '/h', configDir: '/h/.claude', path: '/usr/bin', lang: 'C.UTF-8', maxRetries: 2, sandbox: false };

  it('is an allowlist: nothing else of the worker environment gets in', () => {
    expect(claudeEnv({ ...base, accessToken: new Secret('sk-ant-api03-key') })).toEqual({
      PATH: '/usr/bin',
      HOME: '/h',
      LANG: 'C.UTF-8',
      CLAUDE_CONFIG_DIR: '/h/.claude',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '2',
      ANTHROPIC_API_KEY: 'sk-ant-api03-key',
    });
  });

  it('passes an OAuth token in its own variable, and the base URL and sandbox flag when set', () => {
    const env = claudeEnv({ ...base, accessToken: new Secret('sk-ant-oat01-token'), baseUrl: 'http://127.0.0.1:1', sandbox: true });
    expect(env).toMatchObject({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-token', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1', IS_SANDBOX: '1' });
    expect(env).not.toHaveProperty('ANTHROPIC_API_KEY');
  });
});
