/**
 * bench/credential-proxy: what the per-job credential proxy costs.
 * (1) A real claude job (the CLI against the scripted model server) through the worker, with
 *     the proxy (the default) and with CREDENTIAL_PROXY=false, rounds alternated: median job time.
 * (2) A streamed answer of ~1000 SSE events from a model server in a process of its own, read
 *     directly and through the proxy: time to the first delta and to the end of the stream.
 * (3) Starting and closing a proxy, which every job pays once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCredentialProxy } from '../src/adapters/credential-proxy/index.js';
import { Secret } from '../src/domain/secret.js';
import { quietClaudeEnv } from '../tests/support/claude-harness.js';
import { startScriptedAnthropic } from '../tests/support/scripted-anthropic.js';
import { startWorker } from '../tests/support/worker-process.js';
import { median, percentile, report, timed } from './support/measure.js';
import { benchToken, runJob, startBareServer } from './support/harness.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const streams = Number(process.env.BENCH_STREAMS ?? 200);
const events = 1000;
const key = 'sk-ant-api03-fake-bench';

async function jobs(): Promise<void> {
  const model = await startScriptedAnthropic();
  const root = await mkdtemp(join(tmpdir(), 'uw-bench-proxy-'));
  const start = (name: string, env: Record<string, string> = {}) =>
    startWorker({
      env: { ...quietClaudeEnv, WORKER_API_TOKEN: benchToken, HOST: '127.0.0.1', WORKSPACE_DIR: join(root, name), ANTHROPIC_BASE_URL: model.url, CLAUDE_CODE_MAX_RETRIES: '0', EXIT_AFTER_JOB: 'false', LOG_LEVEL: 'info', ...env },
    });
  const direct = await start('direct', { CREDENTIAL_PROXY: 'false' });
  const proxied = await start('proxied');
  try {
    const off: number[] = [];
    const on: number[] = [];
    await runJob(direct.url);
    await runJob(proxied.url);
    for (let i = 0; i < rounds; i++) {
      off.push((await runJob(direct.url)).totalMs);
      on.push((await runJob(proxied.url)).totalMs);
    }
    report(`a real claude job through the worker, median of ${rounds}`, [
      ['CREDENTIAL_PROXY=false (the CLI holds the key)', median(off)],
      ['with the credential proxy (the default)', median(on)],
    ]);
  } finally {
    await direct.stop();
    await proxied.stop();
    await model.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** Milliseconds to the first content delta and to the stream's end, on a kept-alive connection as the CLI uses. */
function stream(url: string, agent: Agent, headers: Record<string, string>): Promise<{ first: number; total: number }> {
  const begin = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/messages`, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let first = 0;
      res.on('data', (chunk: Buffer) => {
        if (!first && chunk.includes('content_block_delta')) first = performance.now() - begin;
      });
      res.on('end', () => resolve({ first, total: performance.now() - begin }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end('{"stream":true}');
  });
}

async function streaming(): Promise<void> {
  // Each event written on its own, as a model API streams tokens.
  const upstream = await startBareServer(
    `require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: message_start\\ndata: {"type":"message_start"}\\n\\n');
        let n = 0;
        const next = () => {
          if (n === ${events}) return res.end('event: message_stop\\ndata: {"type":"message_stop"}\\n\\n');
          n++;
          res.write('event: content_block_delta\\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token ' + n + ' "}}\\n\\n');
          setImmediate(next);
        };
        next();
      });
    }).listen(0, '127.0.0.1')`,
  );
  const proxy = await startCredentialProxy({ upstream: upstream.url, paths: ['/v1/messages'], credential: { header: 'x-api-key', value: new Secret(key) }, placeholderPrefix: 'sk-ant-api03-' });
  const agents = { direct: new Agent({ keepAlive: true }), proxied: new Agent({ keepAlive: true }) };
  try {
    const direct: Array<{ first: number; total: number }> = [];
    const proxied: Array<{ first: number; total: number }> = [];
    for (let i = 0; i < 20; i++) {
      await stream(upstream.url, agents.direct, { 'x-api-key': key });
      await stream(proxy.url, agents.proxied, { 'x-api-key': proxy.placeholder });
    }
    for (let i = 0; i < streams; i++) {
      direct.push(await stream(upstream.url, agents.direct, { 'x-api-key': key }));
      proxied.push(await stream(proxy.url, agents.proxied, { 'x-api-key': proxy.placeholder }));
    }
    const firsts = (list: typeof direct) => list.map((s) => s.first);
    const totals = (list: typeof direct) => list.map((s) => s.total);
    report(`time to the first delta of a ${events}-event stream, median of ${streams}`, [
      ['straight to the model server', median(firsts(direct))],
      ['through the credential proxy', median(firsts(proxied))],
    ]);
    console.log(`  added to the first token: median ${(median(firsts(proxied)) - median(firsts(direct))).toFixed(2)} ms, p95 ${(percentile(firsts(proxied), 95) - percentile(firsts(direct), 95)).toFixed(2)} ms`);
    report(`the whole ${events}-event stream, median of ${streams}`, [
      ['straight to the model server', median(totals(direct))],
      ['through the credential proxy', median(totals(proxied))],
    ]);
    const lifetimes: number[] = [];
    for (let i = 0; i < 50; i++) {
      lifetimes.push(await timed(async () => (await startCredentialProxy({ upstream: upstream.url, paths: [], credential: { header: 'x-api-key', value: new Secret(key) }, placeholderPrefix: 'p-' })).close()));
    }
    console.log(`\nstarting and closing a job's proxy: median ${median(lifetimes).toFixed(2)} ms`);
  } finally {
    agents.direct.destroy();
    agents.proxied.destroy();
    await proxy.close();
    upstream.stop();
  }
}

await streaming();
await jobs();
