/** What an assistant did, in the same shape whichever provider ran it. */
export type AgentItem =
  | { kind: 'session'; sessionId: string; model?: string }
  | { kind: 'text'; text: string }
  | { kind: 'thinking'; text: string }
  | { kind: 'tool_call'; id: string; name: string; input: unknown }
  | { kind: 'tool_result'; id: string; ok: boolean; output: string }
  /** The job's usage so far: the last one is its total. */
  | ({ kind: 'usage' } & Usage);

export type AgentItemKind = AgentItem['kind'];

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
  /** Of inputTokens, those read from or written to the provider's prompt cache, where it says: they are priced differently. */
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** Whether the provider reported the cost or the worker estimated it from the tokens and the model's price. */
  costSource?: 'reported' | 'estimated';
}
