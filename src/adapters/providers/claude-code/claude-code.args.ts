import type { ProviderOptions } from '../../../application/ports/provider.port.js';

export const claudePermissionModes = ['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk'] as const;

export interface ClaudeArgsInput {
  options: ProviderOptions;
  /** The job's turn budget: the CLI stops at it itself, ending its turn gracefully. */
  maxTurns?: number;
  defaultPermissionMode: string;
  /** A new session gets an id chosen up front, so it is known even if the CLI dies early. */
  session: { resume: string } | { create: string };
}

/**
 * The CLI's argv. The prompt goes to stdin, never here. Single values use `--flag=value`
 * so that a value starting with '-' cannot be read as another flag.
 */
export function claudeArgs({ options, maxTurns, defaultPermissionMode, session }: ClaudeArgsInput): string[] {
  const args = ['-p', '--output-format', 'stream-json', '--verbose'];
  // A cloned repository's .claude/settings.json can hold hooks that run commands before the
  // first prompt, and .mcp.json can start servers: only the job's own user settings apply
  // unless the request trusts the repository.
  if (options.trustRepoSettings) args.push('--setting-sources=user,project,local');
  else args.push('--setting-sources=user', '--strict-mcp-config');
  args.push(`--permission-mode=${options.permissionMode ?? defaultPermissionMode}`);
  args.push('resume' in session ? `--resume=${session.resume}` : `--session-id=${session.create}`);
  if (options.model !== undefined) args.push(`--model=${options.model}`);
  if (maxTurns !== undefined) args.push(`--max-turns=${maxTurns}`);
  if (options.appendSystemPrompt !== undefined) args.push(`--append-system-prompt=${options.appendSystemPrompt}`);
  if (options.allowedTools?.length) args.push(`--allowedTools=${options.allowedTools.join(',')}`);
  if (options.disallowedTools?.length) args.push(`--disallowedTools=${options.disallowedTools.join(',')}`);
  return args;
}
