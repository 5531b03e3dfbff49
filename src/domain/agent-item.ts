/** What an assistant did, in the same shape whichever provider ran it. */
export type AgentItem =
  | { kind: 'session'; sessionId: string; model?: string }
  | { kind: 'text'; text: string }
  | { kind: 'thinking'; text: string }
  | { kind: 'tool_call'; id: string; name: string; input: unknown }
  | { kind: 'tool_result'; id: string; ok: boolean; output: string }
  | { kind: 'usage'; inputTokens: number; outputTokens: number; costUsd?: number };

export type AgentItemKind = AgentItem['kind'];

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
}
