import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StallingGitProxy {
  /** http://127.0.0.1:PORT, in front of the git server's own URL. */
  readonly url: string;
  /** True once a pack response has been cut off and left hanging. */
  stalled(): boolean;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a git server that passes everything through, except that each
 * upload-pack response (the pack) stops after `passBytes` and then hangs, neither sending nor
 * closing: a host that stalls mid-pack. The ref advertisement still arrives whole.
 */
export async function startStallingGitProxy(target: string, passBytes: number): Promise<StallingGitProxy> {
  const { hostname, port } = new URL(target);
  const hanging = new Set<ServerResponse>();
  let stalled = false;
  const server = createServer((req, res) => {
    const upstream = request({ host: hostname, port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (!req.url?.endsWith('/git-upload-pack')) return void answer.pipe(res);
      let passed = 0;
      answer.on('data', (chunk: Buffer) => {
        if (passed >= passBytes) return;
        const part = chunk.subarray(0, passBytes - passed);
        passed += part.length;
        res.write(part);
        if (passed < passBytes) return;
        stalled = true;
        hanging.add(res);
        // The backend has nothing more to say to anyone: only the client is kept waiting.
        answer.destroy();
      });
      answer.on('end', () => {
        if (passed < passBytes) res.end();
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stalled: () => stalled,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
