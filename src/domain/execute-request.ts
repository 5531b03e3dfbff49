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
  /** What a client that goes away does to its job: cancels it (the default), or lets it run to its end. */
  onDisconnect?: 'cancel' | 'continue';
  /** Told of the job's end: the terminal event, signed per Standard Webhooks with `secret`. */
  webhook?: { url: string; secret: string };
  providerOptions?: {
    model?: string;
    /** Budgets: the job ends BUDGET_EXCEEDED past any of them (worker defaults and ceilings apply). */
    maxTurns?: number;
    maxCostUsd?: number;
    maxTokens?: number;
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
