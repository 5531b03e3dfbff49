import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy that cuts each of the first `cuts` connections after the response has carried
 * `afterFrames` SSE events, as a link that drops would.
 */
export async function startCuttingProxy(target: string, cuts: number, afterFrames: number): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const index = connections++;
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let frames = 0;
    upstream.on('data', (chunk: Buffer) => {
      if (index >= cuts) return void client.write(chunk);
      const text = chunk.toString('latin1');
      // Forward frame by frame, and cut right after the wanted one.
      let rest = text;
      let out = '';
      for (let at = rest.indexOf('\n\n'); at >= 0 && frames < afterFrames; at = rest.indexOf('\n\n')) {
        const part = rest.slice(0, at + 2);
        if (part.includes('\ndata: ')) frames += 1;
        out += part;
        rest = rest.slice(at + 2);
      }
      if (frames >= afterFrames) {
        client.end(Buffer.from(out, 'latin1'));
        client.destroy();
        upstream.destroy();
      } else client.write(chunk);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
