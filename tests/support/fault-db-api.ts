import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface StoredChunk {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  timestamp: string;
}

/** What the next requests meet; `times` counts requests, `untilMs` wall time. */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; times?: number; untilMs?: number }
  | { kind: 'reset'; times: number }
  | { kind: 'slow'; delayMs: number; times: number };

export interface FaultDbApi {
  readonly url: string;
  readonly token: string;
  /** Every request as received: method, path, authorization header. */
  readonly requests: Array<{ method: string; path: string; authorization?: string }>;
  chunks(sessionId: string): StoredChunk[];
  statuses(sessionId: string): string[];
  fault(fault: Fault): void;
  /** Stops listening (connections are refused) until start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The DB API's write side as the worker's adapter sees it, with faults on demand: storage is
 * idempotent on (sessionId, jobId, seq), as the real API must be, so retries never duplicate.
 */
export async function startFaultDbApi(token = 'db-token-0123456789abcdef'): Promise<FaultDbApi> {
  const stored = new Map<string, Map<string, StoredChunk>>();
  const statuses = new Map<string, string[]>();
  const requests: FaultDbApi['requests'] = [];
  const faults: Fault[] = [];
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    const body = await read(req);
    // Leases are taken and renewed beside the writes; the faults are for the writes.
    if (/^\/sessions\/[^/]+\/lease(\?|$)/.test(req.url ?? '')) return void res.writeHead(204).end();
    const fault = faults[0];
    if (fault) {
      if ('times' in fault && fault.times !== undefined && --fault.times <= 0) faults.shift();
      if (fault.kind === 'status' && fault.untilMs !== undefined && Date.now() > fault.untilMs) faults.shift();
      else if (fault.kind === 'reset') return void req.socket.destroy();
      else if (fault.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      else if (fault.kind === 'status') {
        res.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
        return void res.end('{}');
      }
    }
    if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end('{}');
    const match = /^\/sessions\/([^/]+)(\/chunks)?$/.exec(req.url ?? '');
    if (!match) return void res.writeHead(404).end('{}');
    const session = decodeURIComponent(match[1]!);
    const json = JSON.parse(body || '{}') as { jobId?: string; status?: string; chunks?: StoredChunk[] };
    if (req.method === 'POST' && match[2]) {
      const byKey = stored.get(session) ?? new Map<string, StoredChunk>();
      for (const chunk of json.chunks ?? []) byKey.set(`${json.jobId}:${chunk.seq}`, chunk);
      stored.set(session, byKey);
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }
    if (req.method === 'PATCH' && !match[2]) {
      statuses.set(session, [...(statuses.get(session) ?? []), json.status ?? '']);
      return void res.writeHead(200).end('{}');
    }
    res.writeHead(405).end('{}');
  };

  const listen = async (): Promise<void> => {
    server = createServer((req, res) => void handle(req, res));
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const shut = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  await listen();

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    chunks: (session) => [...(stored.get(session)?.values() ?? [])].sort((a, b) => a.seq - b.seq),
    statuses: (session) => statuses.get(session) ?? [],
    fault: (fault) => void faults.push(fault),
    stop: shut,
    start: listen,
    close: shut,
  };
}

async function read(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
