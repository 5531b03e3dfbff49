import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, sendJson } from './http-body.js';

/** The 429 a model API answers once the account is used up, given when the account resets. */
export interface LimitReply {
  headers?: (resetAt: Date) => Record<string, string>;
  body: (resetAt: Date) => object;
}

export interface ScriptedUsageLimit {
  /** The server's root, e.g. http://127.0.0.1:1234 (add /v1 for OpenAI-speaking CLIs). */
  readonly url: string;
  /** Model calls (POSTs) received. */
  readonly calls: number;
  /** When the account resets, as every answer since answer() says. */
  readonly resetAt: Date;
  /** From now on, answer every model call with `reply`, the account resetting `resetInMs` from now. */
  answer(reply: LimitReply, resetInMs: number): void;
  close(): Promise<void>;
}

/**
 * A model API on 127.0.0.1 whose account is over its limit: every POST (a model call, whatever
 * the wire protocol) gets the scripted 429; GETs and HEADs (model lists, reachability) get 200.
 */
export async function startScriptedUsageLimit(): Promise<ScriptedUsageLimit> {
  let reply: LimitReply = { body: () => ({ error: { message: 'Rate limit reached' } }) };
  let resetAt = new Date(Date.now() + 7_200_000);
  let calls = 0;
  const server = createServer(async (req, res) => {
    await readBody(req);
    if (req.method !== 'POST') return sendJson(res, 200, { object: 'list', data: [{ id: 'scripted-model', object: 'model', owned_by: 'tests' }] });
    calls += 1;
    res.writeHead(429, { 'content-type': 'application/json', ...reply.headers?.(resetAt) });
    res.end(JSON.stringify(reply.body(resetAt)));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return calls;
    },
    get resetAt() {
      return resetAt;
    },
    answer: (next, inMs) => {
      reply = next;
      resetAt = new Date(Date.now() + inMs);
      calls = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
