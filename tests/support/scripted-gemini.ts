import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, sendJson } from './http-body.js';

/** One model turn of the Gemini API. */
export type GeminiReply =
  | { kind: 'text'; text: string }
  | { kind: 'function_call'; name: string; args: Record<string, unknown> | ((request: GeminiRequest) => Record<string, unknown>) }
  | { kind: 'status'; status: number; message?: string }
  /** Accepts the request and never answers, until close(). */
  | { kind: 'hang' };

export interface GeminiRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** Entries of `contents`: the conversation so far. */
  messageCount: number;
  /** The agent loop streams with tools; side calls (routing, next speaker, titles) do not. */
  mainLoop: boolean;
}

export interface ScriptedGemini {
  readonly url: string;
  readonly requests: GeminiRequest[];
  mainLoopRequests(): GeminiRequest[];
  script(replies: GeminiReply[]): void;
  close(): Promise<void>;
}

const usageMetadata = { promptTokenCount: 120, candidatesTokenCount: 15, totalTokenCount: 135 };

const statusNames: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/**
 * The Gemini API on 127.0.0.1 as the Gemini CLI uses it: `streamGenerateContent?alt=sse` for
 * the agent loop, `generateContent` for structured side calls (answered by filling the
 * request's JSON schema), and `countTokens`.
 */
export async function startScriptedGemini(): Promise<ScriptedGemini> {
  const queue: GeminiReply[] = [];
  const requests: GeminiRequest[] = [];
  const hanging = new Set<ServerResponse>();

  const server = createServer(async (req, res) => {
    const request = await recordOf(req);
    requests.push(request);
    const path = request.path.split('?')[0]!;
    if (path.endsWith(':countTokens')) return sendJson(res, 200, { totalTokens: 100 });
    if (!request.mainLoop) {
      const schema = request.body?.generationConfig?.responseJsonSchema ?? request.body?.generationConfig?.responseSchema;
      const text = schema ? JSON.stringify(fill(schema)) : 'Scripted side answer';
      const answer = { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata };
      return path.endsWith(':streamGenerateContent') ? writeStream(res, [answer]) : sendJson(res, 200, answer);
    }
    const reply = queue.shift() ?? { kind: 'text', text: 'done' };
    if (reply.kind === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (reply.kind === 'status') {
      const status = statusNames[reply.status] ?? 'UNKNOWN';
      return sendJson(res, reply.status, { error: { code: reply.status, message: reply.message ?? `scripted status ${reply.status}`, status } });
    }
    if (reply.kind === 'text') {
      // Two chunks, as the real API streams a text in pieces.
      const cut = Math.ceil(reply.text.length / 2);
      return writeStream(res, [
        { candidates: [{ content: { role: 'model', parts: [{ text: reply.text.slice(0, cut) }] }, index: 0 }] },
        { candidates: [{ content: { role: 'model', parts: [{ text: reply.text.slice(cut) }] }, finishReason: 'STOP', index: 0 }], usageMetadata },
      ]);
    }
    const args = typeof reply.args === 'function' ? reply.args(request) : reply.args;
    writeStream(res, [
      { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: reply.name, args } }] }, finishReason: 'STOP', index: 0 }], usageMetadata },
    ]);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    mainLoopRequests: () => requests.filter((request) => request.mainLoop),
    script: (replies) => void queue.push(...replies),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function writeStream(res: ServerResponse, chunks: object[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const chunk of chunks) res.write(`data: ${JSON.stringify({ ...chunk, modelVersion: 'scripted-model', responseId: 'scripted' })}\r\n\r\n`);
  res.end();
}

/** A value that satisfies a JSON schema; where a choice is offered, the one that hands the turn back to the user. */
function fill(schema: any): unknown {
  if (Array.isArray(schema?.enum)) return schema.enum.includes('user') ? 'user' : schema.enum[0];
  switch (String(schema?.type ?? 'object').toLowerCase()) {
    case 'object':
      return Object.fromEntries(Object.entries(schema?.properties ?? {}).map(([key, value]) => [key, fill(value)]));
    case 'array':
      return [];
    case 'string':
      return 'scripted';
    case 'integer':
    case 'number':
      return schema?.minimum ?? 1;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

async function recordOf(req: IncomingMessage): Promise<GeminiRequest> {
  const body = await readBody(req);
  const path = req.url ?? '/';
  const tools = Array.isArray(body?.tools) && body.tools.length > 0;
  return {
    path,
    headers: req.headers,
    body,
    messageCount: Array.isArray(body?.contents) ? body.contents.length : 0,
    mainLoop: tools && path.includes(':streamGenerateContent'),
  };
}
