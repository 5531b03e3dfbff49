/**
 * bench/cold-start: process spawn to the port accepting connections, and RSS once idle, for
 * the worker bundle against a bare node:http server. Two more baselines show the floor under
 * any app on @hono/node-server: the same bare server once it has loaded Node's fetch classes
 * (Request, Response, Headers), which that adapter extends as it is imported, and a one-route
 * hono app on @hono/node-server, bundled with esbuild as the worker is.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, report } from './support/measure.js';
import { benchToken } from './support/harness.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
let port = 20000 + Math.floor(Math.random() * 20000);

function accepts(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(p, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function start(args: string[], env: Record<string, string>): Promise<{ ms: number; rssKb: number }> {
  const p = port++;
  const begin = performance.now();
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', PORT: String(p), ...env }, stdio: 'ignore' });
  while (!(await accepts(p))) {
    if (child.exitCode !== null) throw new Error(`the server on port ${p} exited with ${child.exitCode}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const ms = performance.now() - begin;
  await new Promise((resolve) => setTimeout(resolve, 300)); // let start-up garbage settle before reading RSS
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  return { ms, rssKb };
}

const bareServer = `require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')`;
const bareWithFetchClasses = `globalThis.Response; ${bareServer}`;
const workspace = await mkdtemp(join(tmpdir(), 'uw-bench-cold-'));
const minimalHono = join(workspace, 'minimal-hono.cjs');
await build({
  entryPoints: [fileURLToPath(new URL('./support/minimal-hono.ts', import.meta.url))],
  outfile: minimalHono,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  minify: true,
  logLevel: 'warning',
});
const bare: Array<{ ms: number; rssKb: number }> = [];
const floor: Array<{ ms: number; rssKb: number }> = [];
const hono: Array<{ ms: number; rssKb: number }> = [];
const ours: Array<{ ms: number; rssKb: number }> = [];
for (let i = 0; i < rounds; i++) {
  bare.push(await start(['-e', bareServer], {}));
  floor.push(await start(['-e', bareWithFetchClasses], {}));
  hono.push(await start([minimalHono], {}));
  ours.push(await start(['dist/worker.mjs'], { WORKER_API_TOKEN: benchToken, HOST: '127.0.0.1', WORKSPACE_DIR: workspace, LOG_LEVEL: 'warn' }));
}
report('cold start: spawn to accepting connections (median)', [
  ['bare node:http server', median(bare.map((r) => r.ms))],
  ['  the same, with fetch classes loaded', median(floor.map((r) => r.ms))],
  ['  a one-route hono app, bundled', median(hono.map((r) => r.ms))],
  ['worker bundle (dist/worker.mjs)', median(ours.map((r) => r.ms))],
]);
report('idle RSS, KB (median)', [
  ['bare node:http server', median(bare.map((r) => r.rssKb))],
  ['  the same, with fetch classes loaded', median(floor.map((r) => r.rssKb))],
  ['  a one-route hono app, bundled', median(hono.map((r) => r.rssKb))],
  ['worker bundle (dist/worker.mjs)', median(ours.map((r) => r.rssKb))],
], 'KB');
