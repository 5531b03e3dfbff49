import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, sendJson } from './http-body.js';

/** One model turn, in words every OpenAI-speaking CLI understands. */
export type OpenAiReply =
  | { kind: 'text'; text: string }
  | { kind: 'tool_call'; name: string; args: Record<string, unknown> | ((request: OpenAiRequest) => Record<string, unknown>) }
  | { kind: 'status'; status: number; message?: string }
  /** Accepts the request and never answers, until close(). */
  | { kind: 'hang' };

export interface OpenAiRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** Conversation items (Responses `input`) or messages (Chat Completions `messages`). */
  messageCount: number;
  /** The names of the tools offered; side calls (titles, summaries) offer none. */
  tools: string[];
}

export interface ScriptedOpenAi {
  /** Base URL including /v1, as the CLIs want it. */
  readonly url: string;
  readonly requests: OpenAiRequest[];
  mainLoopRequests(): OpenAiRequest[];
  script(replies: OpenAiReply[]): void;
  close(): Promise<void>;
}

const usage = { prompt: 120, completion: 15 };

/**
 * An OpenAI API on 127.0.0.1 that plays a script: the Responses API (`/v1/responses`, what Codex
 * speaks) and Chat Completions (`/v1/chat/completions`, what opencode and Copilot speak), both
 * streamed as SSE the way api.openai.com streams them.
 */
export async function startScriptedOpenAi(): Promise<ScriptedOpenAi> {
  const queue: OpenAiReply[] = [];
  const requests: OpenAiRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let turn = 0;

  const server = createServer(async (req, res) => {
    const request = await recordOf(req);
    requests.push(request);
    const path = request.path.split('?')[0]!;
    if (req.method === 'GET' && path.endsWith('/models')) {
      return sendJson(res, 200, { object: 'list', data: [{ id: 'scripted-model', object: 'model', owned_by: 'tests' }] });
    }
    const mainLoop = request.tools.length > 0;
    const reply: OpenAiReply = mainLoop ? (queue.shift() ?? { kind: 'text', text: 'done' }) : { kind: 'text', text: 'Scripted title' };
    if (reply.kind === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (reply.kind === 'status') {
      return sendJson(res, reply.status, { error: { message: reply.message ?? `scripted status ${reply.status}`, type: 'scripted_error', code: null } });
    }
    turn += 1;
    const answer = reply.kind === 'text' ? reply : { ...reply, args: typeof reply.args === 'function' ? reply.args(request) : reply.args };
    if (path.endsWith('/responses')) return writeResponsesStream(res, answer, turn);
    if (path.endsWith('/chat/completions')) {
      return request.body?.stream === false ? sendJson(res, 200, chatCompletion(answer, turn)) : writeChatStream(res, answer, turn);
    }
    sendJson(res, 404, { error: { message: `no route ${path}` } });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    mainLoopRequests: () => requests.filter((request) => request.tools.length > 0),
    script: (replies) => void queue.push(...replies),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type Answer = { kind: 'text'; text: string } | { kind: 'tool_call'; name: string; args: Record<string, unknown> };

function writeResponsesStream(res: ServerResponse, answer: Answer, turn: number): void {
  sseHead(res);
  const id = `resp_scripted_${turn}`;
  const send = (type: string, data: object): void => void res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const response = { id, object: 'response', created_at: 1_700_000_000, model: 'scripted-model', status: 'in_progress', output: [] };
  send('response.created', { response });
  const item =
    answer.kind === 'text'
      ? { type: 'message', id: `msg_${turn}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: answer.text, annotations: [] }] }
      : { type: 'function_call', id: `fc_${turn}`, call_id: `call_scripted_${turn}`, name: answer.name, arguments: JSON.stringify(answer.args), status: 'completed' };
  send('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', ...(answer.kind === 'text' ? { content: [] } : { arguments: '' }) } });
  if (answer.kind === 'text') {
    send('response.output_text.delta', { item_id: item.id, output_index: 0, content_index: 0, delta: answer.text });
  }
  send('response.output_item.done', { output_index: 0, item });
  send('response.completed', {
    response: {
      ...response,
      status: 'completed',
      output: [item],
      usage: {
        input_tokens: usage.prompt,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: usage.completion,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: usage.prompt + usage.completion,
      },
    },
  });
  res.end();
}

function writeChatStream(res: ServerResponse, answer: Answer, turn: number): void {
  sseHead(res);
  const base = { id: `chatcmpl-scripted-${turn}`, object: 'chat.completion.chunk', created: 1_700_000_000, model: 'scripted-model' };
  const send = (choice: object | null, extra: object = {}): void =>
    void res.write(`data: ${JSON.stringify({ ...base, choices: choice ? [{ index: 0, ...choice }] : [], ...extra })}\n\n`);
  send({ delta: { role: 'assistant', content: '' }, finish_reason: null });
  if (answer.kind === 'text') {
    send({ delta: { content: answer.text }, finish_reason: null });
    send({ delta: {}, finish_reason: 'stop' });
  } else {
    const call = { index: 0, id: `call_scripted_${turn}`, type: 'function', function: { name: answer.name, arguments: JSON.stringify(answer.args) } };
    send({ delta: { tool_calls: [call] }, finish_reason: null });
    send({ delta: {}, finish_reason: 'tool_calls' });
  }
  send(null, { usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } });
  res.end('data: [DONE]\n\n');
}

function chatCompletion(answer: Answer, turn: number): object {
  const message =
    answer.kind === 'text'
      ? { role: 'assistant', content: answer.text }
      : {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: `call_scripted_${turn}`, type: 'function', function: { name: answer.name, arguments: JSON.stringify(answer.args) } }],
        };
  return {
    id: `chatcmpl-scripted-${turn}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'scripted-model',
    choices: [{ index: 0, message, finish_reason: answer.kind === 'text' ? 'stop' : 'tool_calls' }],
    usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
  };
}

function sseHead(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

async function recordOf(req: IncomingMessage): Promise<OpenAiRequest> {
  const body = await readBody(req);
  const conversation = Array.isArray(body?.input) ? body.input : Array.isArray(body?.messages) ? body.messages : [];
  const tools: string[] = Array.isArray(body?.tools)
    ? body.tools.map((tool: { name?: string; function?: { name?: string } }) => tool.name ?? tool.function?.name ?? '?')
    : [];
  return { path: req.url ?? '/', headers: req.headers, body, messageCount: conversation.length, tools };
}
