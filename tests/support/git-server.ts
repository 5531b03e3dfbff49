import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GitServerRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface GitServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly token: string;
  readonly requests: GitServerRequest[];
  /** Bytes of response bodies sent so far. */
  bytesServed(): number;
  /** From now on, pushes are received and never answered, as a host that hangs mid-push. */
  holdPushes(): void;
  /** Creates a served repository with one commit of `files` on `main` (and the other branches); returns its URL. */
  createRepo(name: string, files: Record<string, string>, options?: { branches?: string[] }): Promise<string>;
  /** Creates a served repository from a `git fast-import` stream (for large generated histories). */
  importRepo(name: string, stream: string): Promise<string>;
  /** Adds a commit to `branch` of a served repository, as someone else pushing. */
  commit(name: string, branch: string, files: Record<string, string>): Promise<void>;
  /** Makes the server refuse pushes to `branch`, as a protected branch does. */
  protect(name: string, branch: string): Promise<void>;
  /** Runs git in a served bare repository. */
  git(name: string, ...args: string[]): Promise<string>;
  close(): Promise<void>;
}

const gitEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: '/nonexistent',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Upstream',
  GIT_AUTHOR_EMAIL: 'upstream@example.test',
  GIT_COMMITTER_NAME: 'Upstream',
  GIT_COMMITTER_EMAIL: 'upstream@example.test',
};

/**
 * A real git server on 127.0.0.1: `git http-backend` behind Node's HTTP server, which demands
 * the token as HTTP basic auth (any user, the token as password) or as a bearer token.
 */
export async function startGitServer(token = `ghp_test${Math.random().toString(36).slice(2)}abcdefghij`): Promise<GitServer> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'uw-git-')));
  const served = join(root, 'served');
  await mkdir(served);
  const requests: GitServerRequest[] = [];
  const held = new Set<ServerResponse>();
  let holdingPushes = false;
  let servedBytes = 0;

  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization });
    if (!authorized(req.headers.authorization, token)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
      return res.end('authentication required');
    }
    if (holdingPushes && req.method === 'POST' && req.url?.endsWith('/git-receive-pack')) {
      held.add(res);
      return;
    }
    serveCgi(req, res, served, (n) => (servedBytes += n));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const git = async (name: string, ...args: string[]) => (await run('git', args, { cwd: join(served, `${name}.git`), env: gitEnv })).stdout;
  const initBare = async (name: string): Promise<string> => {
    const bare = join(served, `${name}.git`);
    await run('git', ['init', '-q', '--bare', '-b', 'main', bare], { env: gitEnv });
    for (const [key, value] of [['http.receivepack', 'true'], ['uploadpack.allowFilter', 'true'], ['uploadpack.allowAnySHA1InWant', 'true']]) {
      await git(name, 'config', key!, value!);
    }
    return bare;
  };

  return {
    url,
    token,
    requests,
    bytesServed: () => servedBytes,
    holdPushes: () => {
      holdingPushes = true;
    },
    git,
    async importRepo(name, stream) {
      await initBare(name);
      await new Promise<void>((resolve, reject) => {
        const child = spawn('git', ['fast-import', '--quiet'], { cwd: join(served, `${name}.git`), env: gitEnv, stdio: ['pipe', 'ignore', 'inherit'] });
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`))));
        child.stdin.on('error', reject);
        child.stdin.end(stream);
      });
      await git(name, 'repack', '-adq');
      return `${url}/${name}.git`;
    },
    async createRepo(name, files, options = {}) {
      const bare = await initBare(name);
      await commitTo(root, bare, 'main', files, true);
      for (const branch of options.branches ?? []) await git(name, 'branch', branch, 'main');
      return `${url}/${name}.git`;
    },
    async commit(name, branch, files) {
      await commitTo(root, join(served, `${name}.git`), branch, files, false);
    },
    async protect(name, branch) {
      const hook = join(served, `${name}.git`, 'hooks', 'pre-receive');
      await writeFile(hook, `#!/bin/sh\nwhile read old new ref; do\n  [ "$ref" = "refs/heads/${branch}" ] && { echo "protected branch hook declined"; exit 1; }\ndone\nexit 0\n`);
      await chmod(hook, 0o755);
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(root, { recursive: true, force: true });
    },
  };
}

function authorized(header: string | undefined, token: string): boolean {
  if (!header) return false;
  if (header === `Bearer ${token}`) return true;
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1) === token;
}

async function commitTo(root: string, bare: string, branch: string, files: Record<string, string>, initial: boolean): Promise<void> {
  const work = await mkdtemp(join(root, 'work-'));
  const inWork = (...args: string[]) => run('git', args, { cwd: work, env: gitEnv });
  if (initial) await inWork('init', '-q', '-b', branch);
  else await run('git', ['clone', '-q', '--branch', branch, bare, work], { env: { ...gitEnv } });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(work, path)), { recursive: true });
    await writeFile(join(work, path), content);
  }
  await inWork('add', '-A');
  await inWork('commit', '-q', '-m', initial ? 'Initial commit' : `Update ${branch}`);
  await inWork('push', '-q', bare, `HEAD:refs/heads/${branch}`);
  await rm(work, { recursive: true, force: true });
}

/** The CGI exchange with git http-backend: request body in, status and headers parsed out. */
function serveCgi(req: IncomingMessage, res: ServerResponse, projectRoot: string, count: (bytes: number) => void): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const child = spawn('git', ['http-backend'], {
    env: {
      ...gitEnv,
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: 'agent',
      REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      count(chunk.length);
      return void res.write(chunk);
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const [key, ...rest] = line.split(':');
      const value = rest.join(':').trim();
      if (key!.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[key!] = value;
    }
    res.writeHead(status, headers);
    count(head.length - end - 4);
    res.write(head.subarray(end + 4));
  });
  child.on('close', () => {
    if (!headersDone) res.writeHead(500);
    res.end();
  });
}
