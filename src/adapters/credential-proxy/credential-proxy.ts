import { once } from 'node:events';
import { Agent as HttpAgent, createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CredentialProxy, CredentialProxySpec } from '../shared/credential-proxy-spec.js';
import { forwardedHeaders, presentedCredential } from './forwarded-headers.js';
import { makePlaceholder, matchesPlaceholder } from './placeholder.js';

/** Headers the proxy sets itself: whatever the CLI sent in them (its placeholder) never goes upstream. */
const replacedHeaders = ['x-api-key', 'authorization', 'host'];

/**
 * A job's forwarding proxy on 127.0.0.1 (reachable by the agent's uid too): it checks the
 * job's placeholder, puts the real credential in its place and streams both ways without
 * buffering. Only `spec.paths` are forwarded; everything else is answered here.
 */
export async function startCredentialProxy(spec: CredentialProxySpec): Promise<CredentialProxy> {
  const upstream = new URL(spec.upstream);
  const secure = upstream.protocol === 'https:';
  const prefix = upstream.pathname.replace(/\/+$/, '');
  // One keep-alive agent per job: the job's requests share their connections (and TLS
  // handshakes) to the API; destroying it at close drops them.
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const placeholder = makePlaceholder(spec.placeholderPrefix);
  const { header, scheme } = spec.credential;
  const inFlight = new Set<ClientRequest>();

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const headers = forwardedHeaders(req.headers, replacedHeaders);
    headers.host = upstream.host;
    headers[header] = scheme ? `${scheme} ${spec.credential.value.reveal()}` : spec.credential.value.reveal();
    const outgoing = (secure ? httpsRequest : httpRequest)({
      protocol: upstream.protocol,
      hostname: upstream.hostname.replace(/^\[|\]$/g, ''),
      port: upstream.port || undefined,
      method: req.method,
      path: `${prefix}${req.url ?? '/'}`,
      headers,
      agent,
    });
    inFlight.add(outgoing);
    outgoing.on('close', () => inFlight.delete(outgoing));
    // An SSE event is a few bytes: Nagle's algorithm would hold each one back.
    outgoing.on('socket', (socket) => socket.setNoDelay(true));
    outgoing.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, forwardedHeaders(answer.headers));
      res.flushHeaders();
      answer.pipe(res);
      // An upstream that drops the stream mid-way: the CLI must see a cut, not a clean end.
      answer.on('close', () => {
        if (!answer.complete) res.destroy();
      });
    });
    outgoing.on('error', () => {
      if (res.headersSent) res.destroy();
      else refuse(res, 502, 'api_error', 'the model API could not be reached');
    });
    // The CLI gave up (cancel, its own timeout): the model API stops generating too.
    res.on('close', () => {
      if (!res.writableFinished) outgoing.destroy();
    });
    req.pipe(outgoing);
  };

  // No request timeout: a job's request is answered by a stream that may run for many minutes.
  // Idle connections stay open as long as a tool may run, so the CLI never reuses one the
  // proxy is closing at that moment.
  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 600_000, noDelay: true }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // The claude CLI sends `HEAD /` first to warm its connection: answered here.
    if (req.method === 'HEAD' && path === '/') return void res.writeHead(200).end();
    if (req.method !== 'POST' || !spec.paths.includes(path ?? '')) {
      return refuse(res, 404, 'not_found_error', 'the worker forwards only the model API');
    }
    if (!matchesPlaceholder(presentedCredential(req.headers, header, scheme), placeholder)) {
      return refuse(res, 401, 'authentication_error', 'invalid credential');
    }
    forward(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    placeholder,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const outgoing of inFlight) outgoing.destroy();
        server.closeAllConnections();
        agent.destroy();
      });
      return closed;
    },
  };
}

/** An error in the shape both the Anthropic and the OpenAI clients read (`error.type`, `error.message`). */
function refuse(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}
