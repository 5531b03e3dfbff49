import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A DB API that reads every request body to its end and takes it, storing nothing: what a job
 * then costs beyond one without persistence is the worker's own part (batching, encoding,
 * sending) and the bytes over loopback, with no database working on the same cores.
 */
export async function startDrainDbApi(token = 'db-token-drain-0123456789'): Promise<{ url: string; token: string; requests(): number; close(): Promise<void> }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    req.once('end', () => {
      const status = req.headers.authorization === `Bearer ${token}` ? 200 : 401;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
