import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http-body.js';
import { messageBody, writeApiError, writeMessageStream, type WireBlock } from './anthropic-wire.js';

export type ScriptedReply =
  /** delayMs: the model thinks that long before it answers. */
  | { kind: 'text'; text: string; delayMs?: number }
  | { kind: 'thinking'; thinking: string; text: string }
  | {
      kind: 'tool_use';
      name: string;
      input: Record<string, unknown> | ((request: RecordedRequest) => Record<string, unknown>);
    }
  | { kind: 'status'; status: number; type?: string; message?: string }
  /** Accepts the request and never answers, until close(). */
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  messageCount: number;
  cwd: string | undefined;
  /** The agent's own conversation turns, as opposed to side calls (titles, token counts ...). */
  mainLoop: boolean;
}

export interface ScriptedAnthropic {
  readonly url: string;
  readonly requests: RecordedRequest[];
  mainLoopRequests(): RecordedRequest[];
  /** Queues replies for the next main-loop requests; once they run out, the answer is the text "done". */
  script(replies: ScriptedReply[]): void;
  /** Ends every request left hanging, as a model API that drops its connections. */
  dropHanging(): void;
  close(): Promise<void>;
}

/** The working directory Claude Code states in its system prompt ("Primary working directory: ..."). */
export function cwdOf(request: RecordedRequest): string | undefined {
  return request.cwd;
}

const cwdPattern = /(?:Primary working directory|Working directory):\s*(\S+)/;

/** A Messages API on 127.0.0.1 that plays replies from a script, for the real claude CLI. */
export async function startScriptedAnthropic(options: { replies?: ScriptedReply[] } = {}): Promise<ScriptedAnthropic> {
  const queue: ScriptedReply[] = [...(options.replies ?? [])];
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let messageNumber = 0;

  const server = createServer(async (req, res) => {
    const record = await recordOf(req);
    requests.push(record);
    if (req.method === 'HEAD' || req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(req.method === 'GET' ? '{}' : undefined);
    }
    if (record.path.startsWith('/v1/messages/count_tokens')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ input_tokens: 100 }));
    }
    if (!record.path.startsWith('/v1/messages')) {
      return writeApiError(res, 404, 'not_found_error', `no route ${record.path}`);
    }
    const reply: ScriptedReply = record.mainLoop ? (queue.shift() ?? { kind: 'text', text: 'done' }) : { kind: 'text', text: 'ok' };
    if (reply.kind === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (reply.kind === 'status') return writeApiError(res, reply.status, reply.type, reply.message);
    if (reply.kind === 'text' && reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    messageNumber += 1;
    const message = {
      id: `msg_scripted_${messageNumber}`,
      model: typeof record.body?.model === 'string' ? record.body.model : 'claude-scripted',
      content: blocksOf(reply, record, messageNumber),
      stopReason: reply.kind === 'tool_use' ? ('tool_use' as const) : ('end_turn' as const),
    };
    if (record.body?.stream === true) return writeMessageStream(res, message);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(messageBody(message)));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    mainLoopRequests: () => requests.filter((request) => request.mainLoop),
    script: (replies) => void queue.push(...replies),
    dropHanging: () => {
      for (const res of hanging) res.destroy();
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function blocksOf(reply: Exclude<ScriptedReply, { kind: 'hang' | 'status' }>, request: RecordedRequest, n: number): WireBlock[] {
  switch (reply.kind) {
    case 'text':
      return [{ type: 'text', text: reply.text }];
    case 'thinking':
      return [
        { type: 'thinking', thinking: reply.thinking, signature: `sig_${n}` },
        { type: 'text', text: reply.text },
      ];
    case 'tool_use': {
      const input = typeof reply.input === 'function' ? reply.input(request) : reply.input;
      return [{ type: 'tool_use', id: `toolu_scripted_${n}`, name: reply.name, input }];
    }
  }
}

async function recordOf(req: IncomingMessage): Promise<RecordedRequest> {
  const body: unknown = await readBody(req);
  const json = body as { messages?: unknown[]; tools?: unknown[]; system?: unknown } | undefined;
  const system = JSON.stringify(json?.system ?? '');
  return {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: req.headers,
    body,
    messageCount: Array.isArray(json?.messages) ? json.messages.length : 0,
    cwd: cwdPattern.exec(system)?.[1]?.replace(/\\n.*$/, ''),
    // The agent loop always offers its tools; side calls (titles, summaries) do not.
    mainLoop: Array.isArray(json?.tools) && json.tools.length > 0,
  };
}
