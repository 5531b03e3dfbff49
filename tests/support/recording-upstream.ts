import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamCall {
  req: IncomingMessage;
  res: ServerResponse;
}

export interface RecordingUpstream {
  readonly url: string;
  /** Every request that reached it, as it arrived (the body may still be coming). */
  readonly calls: UpstreamCall[];
  /** Resolves with the next request to arrive. */
  nextCall(): Promise<UpstreamCall>;
  close(): Promise<void>;
}

/**
 * A model API on 127.0.0.1 whose handler the test writes, for what a scripted Anthropic server
 * cannot show: when each byte arrives and when a connection closes.
 */
export async function startRecordingUpstream(handle: (call: UpstreamCall) => void = ({ res }) => void res.end('{}')): Promise<RecordingUpstream> {
  const calls: UpstreamCall[] = [];
  const waiting: Array<(call: UpstreamCall) => void> = [];
  const server = createServer((req, res) => {
    const call = { req, res };
    calls.push(call);
    waiting.shift()?.(call);
    handle(call);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    nextCall: () => new Promise((resolve) => waiting.push(resolve)),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
