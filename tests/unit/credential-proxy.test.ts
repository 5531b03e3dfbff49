import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startCredentialProxy } from '../../src/adapters/credential-proxy/index.js';
import type { CredentialProxy, CredentialProxySpec } from '../../src/adapters/shared/credential-proxy-spec.js';
import { Secret } from '../../src/domain/secret.js';
import { startRecordingUpstream, type UpstreamCall } from '../support/recording-upstream.js';

const realKey = 'sk-ant-api03-fake-upstream';
const paths = ['/v1/messages', '/v1/messages/count_tokens'];

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setUp(handle?: (call: UpstreamCall) => void, spec: Partial<CredentialProxySpec> & { prefix?: string } = {}) {
  const upstream = await startRecordingUpstream(handle);
  const proxy = await startCredentialProxy({
    upstream: upstream.url + (spec.prefix ?? ''),
    paths,
    credential: { header: 'x-api-key', value: new Secret(realKey) },
    placeholderPrefix: 'sk-ant-api03-',
    ...spec,
  });
  cleanups.push(() => upstream.close(), () => proxy.close());
  return { upstream, proxy };
}

/** A request through the proxy that the test drives: write the body, read the answer as it comes. */
function open(proxy: CredentialProxy, path: string, headers: Record<string, string> = { 'x-api-key': proxy.placeholder }, method = 'POST') {
  // The path goes out as written: no URL parsing that would resolve `..` or an absolute form.
  const { hostname, port } = new URL(proxy.url);
  const req = request({ hostname, port, path, method, headers: { 'content-type': 'application/json', ...headers } });
  const response = once(req, 'response').then(([res]) => res as IncomingMessage);
  req.on('error', () => undefined);
  return { req, response };
}

async function textOf(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return text;
}

async function send(proxy: CredentialProxy, path: string, headers?: Record<string, string>, method?: string) {
  const { req, response } = open(proxy, path, headers, method);
  req.end('{"model":"m"}');
  const res = await response;
  return { status: res.statusCode, body: await textOf(res) };
}

/** The upstream's handler: echoes what it received, after reading the whole body. */
function echo({ req, res }: UpstreamCall): void {
  void textOf(req).then((body) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
    res.end(JSON.stringify({ path: req.url, body }));
  });
}

describe('the credential proxy', () => {
  it('forwards an allowed path with the real key in place of the placeholder, under the gateway prefix', async () => {
    const { upstream, proxy } = await setUp(echo, { prefix: '/gateway/anthropic' });
    expect(proxy.placeholder).toMatch(/^sk-ant-api03-[A-Za-z0-9_-]{80,}$/);
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const answer = await send(proxy, '/v1/messages?beta=true', { 'x-api-key': proxy.placeholder, 'x-stainless-lang': 'js' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ path: '/gateway/anthropic/v1/messages?beta=true', body: '{"model":"m"}' });
    const seen = upstream.calls[0]!.req.headers;
    expect(seen['x-api-key']).toBe(realKey);
    expect(seen['x-stainless-lang']).toBe('js');
    expect(seen.host).toBe(new URL(upstream.url).host);
    expect(JSON.stringify(seen)).not.toContain(proxy.placeholder);
  });

  it('swaps an OAuth bearer token and keeps the rest of the headers', async () => {
    const oauth = 'sk-ant-oat01-fake-upstream';
    const { upstream, proxy } = await setUp(echo, {
      credential: { header: 'authorization', scheme: 'Bearer', value: new Secret(oauth) },
      placeholderPrefix: 'sk-ant-oat01-',
    });
    expect(proxy.placeholder.startsWith('sk-ant-oat01-')).toBe(true);
    const answer = await send(proxy, '/v1/messages', { authorization: `Bearer ${proxy.placeholder}`, 'anthropic-beta': 'oauth-2025-04-20' });
    expect(answer.status).toBe(200);
    expect(upstream.calls[0]!.req.headers.authorization).toBe(`Bearer ${oauth}`);
    expect(upstream.calls[0]!.req.headers['anthropic-beta']).toBe('oauth-2025-04-20');
    expect(upstream.calls[0]!.req.headers['x-api-key']).toBeUndefined();
  });

  it('refuses paths and methods outside the allowlist without forwarding them', async () => {
    const { upstream, proxy } = await setUp(echo);
    for (const path of ['/v1/models', '/v1/messages/../files', '/v1/%6dessages', '/v1/messages/batches', 'http://example.com/v1/messages']) {
      expect((await send(proxy, path)).status).toBe(404);
    }
    expect((await send(proxy, '/v1/messages', undefined, 'PUT')).status).toBe(404);
    expect(upstream.calls).toHaveLength(0);
  });

  it('answers 401 to a wrong or missing placeholder without forwarding, and never to the real key either', async () => {
    const { upstream, proxy } = await setUp(echo);
    expect((await send(proxy, '/v1/messages', {})).status).toBe(401);
    expect((await send(proxy, '/v1/messages', { 'x-api-key': `${proxy.placeholder}x` })).status).toBe(401);
    expect((await send(proxy, '/v1/messages', { 'x-api-key': realKey })).status).toBe(401);
    expect((await send(proxy, '/v1/messages', { authorization: `Bearer ${proxy.placeholder}` })).status).toBe(401);
    expect(upstream.calls).toHaveLength(0);
  });

  it('strips hop-by-hop headers and the ones Connection names', async () => {
    const { upstream, proxy } = await setUp(echo);
    await send(proxy, '/v1/messages', { 'x-api-key': proxy.placeholder, connection: 'keep-alive, x-private', 'x-private': '1', 'proxy-authorization': 'Basic eA==' });
    const seen = upstream.calls[0]!.req.headers;
    expect(seen['x-private']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
  });

  it('streams SSE event by event: the client has the first before the last is sent', async () => {
    let clientHasFirst!: () => void;
    const firstArrived = new Promise<void>((resolve) => (clientHasFirst = resolve));
    const { proxy } = await setUp(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message_start\ndata: {"n":1}\n\n');
      void firstArrived.then(() => res.end('event: message_stop\ndata: {"n":2}\n\n'));
    });
    const { req, response } = open(proxy, '/v1/messages');
    req.end('{}');
    const res = await response;
    expect(res.headers['content-type']).toBe('text/event-stream');
    const chunks: string[] = [];
    for await (const chunk of res) {
      chunks.push(String(chunk));
      if (chunks.length === 1) clientHasFirst();
    }
    expect(chunks[0]).toContain('"n":1');
    expect(chunks.join('')).toContain('message_stop');
  });

  it('streams the request body: the upstream reads its start before the client has sent its end', async () => {
    const { upstream, proxy } = await setUp(echo);
    const arrived = upstream.nextCall();
    const { req, response } = open(proxy, '/v1/messages');
    req.write('{"part":');
    const { req: upstreamReq } = await arrived;
    const [first] = (await once(upstreamReq, 'data')) as [Buffer];
    expect(String(first)).toBe('{"part":');
    req.end('1}');
    expect(JSON.parse(await textOf(await response)).body).toBe('{"part":1}');
  });

  it('aborts the upstream request when the client goes away mid-stream', async () => {
    const { upstream, proxy } = await setUp(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {}\n\n');
    });
    const { req, response } = open(proxy, '/v1/messages');
    req.end('{}');
    const res = await response;
    await once(res, 'data');
    const upstreamClosed = once(upstream.calls[0]!.res, 'close');
    req.destroy();
    await upstreamClosed;
    expect(upstream.calls[0]!.res.writableFinished).toBe(false);
  });

  it('cuts the client off when the upstream drops the stream, instead of ending it cleanly', async () => {
    const { upstream, proxy } = await setUp(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {}\n\n');
    });
    const { req, response } = open(proxy, '/v1/messages');
    req.end('{}');
    const res = await response;
    await once(res, 'data');
    upstream.calls[0]!.res.destroy();
    await expect(textOf(res)).rejects.toThrow();
  });

  it('ends every open connection when closed, and accepts no more', async () => {
    const { upstream, proxy } = await setUp(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {}\n\n');
    });
    const { req, response } = open(proxy, '/v1/messages');
    req.end('{}');
    const res = await response;
    await once(res, 'data');
    const upstreamClosed = once(upstream.calls[0]!.res, 'close');
    await proxy.close();
    await upstreamClosed;
    await expect(textOf(res)).rejects.toThrow();
    await expect(fetch(`${proxy.url}/v1/messages`, { method: 'POST' })).rejects.toThrow();
  });

  it('answers 502 when the model API cannot be reached', async () => {
    const { upstream, proxy } = await setUp(echo);
    await upstream.close();
    const answer = await send(proxy, '/v1/messages');
    expect(answer.status).toBe(502);
    expect(answer.body).not.toContain(realKey);
  });

  it('answers the CLI\'s connection probe (HEAD /) itself', async () => {
    const { upstream, proxy } = await setUp(echo);
    const res = await fetch(proxy.url, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(upstream.calls).toHaveLength(0);
  });
});
