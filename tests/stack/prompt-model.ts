/**
 * A Messages API whose replies the prompt decides, for the real claude CLI in the deployed
 * image: the stack test cannot script a server in another container, so each job says what the
 * model does. Run as a service on the stack's network (bundled to one file by test-stack.sh).
 *   "[wait 10000] ..."   answers after 10 s        "[hang] ..."   never answers
 *   "[run] <command>"    runs the command with the Bash tool, then answers with its output
 */
import { createServer } from 'node:http';
import { writeApiError, writeMessageStream, type WireBlock } from '../support/anthropic-wire.js';
import { readBody } from '../support/http-body.js';

interface Block { type: string; text?: string; content?: unknown }
interface Message { role: string; content: string | Block[] }

const textOf = (message: Message | undefined): string =>
  typeof message?.content === 'string' ? message.content : (message?.content ?? []).map((b) => b.text ?? '').join('\n');

function toolResultOf(message: Message | undefined): string | undefined {
  if (!message || typeof message.content === 'string') return undefined;
  const result = message.content.find((b) => b.type === 'tool_result');
  if (!result) return undefined;
  return typeof result.content === 'string' ? result.content : JSON.stringify(result.content);
}

let n = 0;
const server = createServer(async (req, res) => {
  const body = (await readBody(req)) as { messages?: Message[]; tools?: unknown[]; stream?: boolean; model?: string } | undefined;
  if (req.method !== 'POST') return res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  if (req.url?.startsWith('/v1/messages/count_tokens')) return res.writeHead(200, { 'content-type': 'application/json' }).end('{"input_tokens":100}');
  if (!req.url?.startsWith('/v1/messages')) return writeApiError(res, 404, 'not_found_error', 'no route');
  const messages = body?.messages ?? [];
  const mainLoop = Array.isArray(body?.tools) && body.tools.length > 0;
  const prompt = textOf(messages.find((m) => m.role === 'user'));
  const result = toolResultOf(messages.at(-1));
  n += 1;
  let content: WireBlock[];
  if (!mainLoop) content = [{ type: 'text', text: 'ok' }];
  else if (result !== undefined) content = [{ type: 'text', text: `ran: ${result}` }];
  else if (/\[hang\]/.test(prompt)) return; // the connection stays open until the CLI gives up
  else if (/\[run\]/.test(prompt)) {
    const command = /\[run\]\s*([^\n]*)/.exec(prompt)?.[1] ?? 'true';
    content = [{ type: 'tool_use', id: `toolu_${n}`, name: 'Bash', input: { command, description: 'stack check' } }];
  } else {
    const wait = Number(/\[wait (\d+)\]/.exec(prompt)?.[1] ?? 0);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    content = [{ type: 'text', text: 'done' }];
  }
  writeMessageStream(res, {
    id: `msg_${n}`,
    model: body?.model ?? 'claude-scripted',
    content,
    stopReason: content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
  });
});
server.listen(Number(process.env.PORT ?? 8000), '0.0.0.0');
