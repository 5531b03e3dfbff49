import type { ServerResponse } from 'node:http';

/** A message's content blocks as the Anthropic Messages API sends them. */
export type WireBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface WireMessage {
  id: string;
  model: string;
  content: WireBlock[];
  stopReason: 'end_turn' | 'tool_use';
}

const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

/** The whole message as one JSON body, for requests without `stream: true`. */
export function messageBody(message: WireMessage): object {
  return {
    id: message.id,
    type: 'message',
    role: 'assistant',
    model: message.model,
    content: message.content,
    stop_reason: message.stopReason,
    stop_sequence: null,
    usage,
  };
}

/** The message as the streaming API's SSE events, block by block, deltas and all. */
export function writeMessageStream(res: ServerResponse, message: WireMessage): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (event: string, data: object): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  };
  send('message_start', {
    message: { ...messageBody({ ...message, content: [] }), stop_reason: null, usage: { ...usage, output_tokens: 1 } },
  });
  message.content.forEach((block, index) => {
    switch (block.type) {
      case 'text':
        send('content_block_start', { index, content_block: { type: 'text', text: '' } });
        send('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
        break;
      case 'thinking':
        send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
        send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: block.thinking } });
        send('content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature } });
        break;
      case 'tool_use':
        send('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
        break;
    }
    send('content_block_stop', { index });
  });
  send('message_delta', { delta: { stop_reason: message.stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  send('message_stop', {});
  res.end();
}

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function writeApiError(res: ServerResponse, status: number, type?: string, message?: string): void {
  const errorType = type ?? errorTypes[status] ?? 'api_error';
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ type: 'error', error: { type: errorType, message: message ?? `scripted ${errorType}` } }));
}
