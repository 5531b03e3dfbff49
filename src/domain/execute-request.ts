/** The body of POST /execute, API v1: what a client sends. */
export interface ExecuteRequestBody {
  userRequest: string;
  codingAssistantProvider: string;
  codingAssistantAccessToken?: string;
  resumeSessionId?: string;
  workspace?: string;
  github?: {
    repoUrl: string;
    branch?: string;
    accessToken?: string;
    push?: { branch: string; commitMessage?: string };
  };
  database?: { sessionId: string; accessToken: string };
  providerOptions?: {
    model?: string;
    maxTurns?: number;
    permissionMode?: string;
    allowedTools?: string[];
    disallowedTools?: string[];
    appendSystemPrompt?: string;
    timeoutMs?: number;
    includeRaw?: boolean;
    /** Let the repository's own assistant settings (hooks, MCP servers) apply; off by default. */
    trustRepoSettings?: boolean;
  };
}
