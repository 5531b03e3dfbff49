import { spawn } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createParser } from 'eventsource-parser';
import { startWorker, type WorkerProcess } from '../../tests/support/worker-process.js';

export const benchToken = 'bench-api-token-0123456789abcdef';
const fakeClaude = fileURLToPath(new URL('./fake-claude.mjs', import.meta.url));

/** A claude stand-in that prints `events` recorded lines; the worker's env allowlist drops other variables, so the count is baked in. */
export async function fakeClaudeWith(events: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'uw-bench-cli-'));
  const path = join(dir, 'claude');
  await writeFile(path, `#!/bin/sh\nFAKE_CLAUDE_EVENTS=${events} exec "${process.execPath}" "${fakeClaude}" "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

export async function startBenchWorker(events: number, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const workspace = await mkdtemp(join(tmpdir(), 'uw-bench-ws-'));
  const worker = await startWorker({
    env: {
      WORKER_API_TOKEN: benchToken,
      HOST: '127.0.0.1',
      WORKSPACE_DIR: workspace,
      EXIT_AFTER_JOB: 'false',
      LOG_LEVEL: 'info',
      CLAUDE_CODE_PATH: await fakeClaudeWith(events),
      // The benchmarks time the relay itself; under the limit they would time the limit.
      MAX_EVENTS_PER_SECOND: '0',
      ...env,
    },
  });
  // The worker runs in a process group of its own: end it even when the benchmark dies.
  process.once('exit', () => {
    try {
      process.kill(-worker.pid, 'SIGKILL');
    } catch {
      // Already stopped.
    }
  });
  return worker;
}

export const jobBody = JSON.stringify({ userRequest: 'bench', codingAssistantProvider: 'claude-code', codingAssistantAccessToken: 'sk-ant-bench-token-000000' });

export interface StreamTiming {
  firstByteMs: number;
  totalMs: number;
  events: number;
}

/** POSTs a job and parses every SSE event like a client would; times the first byte and the last event. */
export async function runJob(url: string, options: { readDelay?: (bytes: number) => Promise<void> } = {}): Promise<StreamTiming> {
  const start = performance.now();
  const response = await fetch(`${url}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${benchToken}` },
    body: jobBody,
  });
  let firstByteMs = 0;
  let events = 0;
  let terminal = false;
  const parser = createParser({
    onEvent: (message) => {
      const data = JSON.parse(message.data) as { type: string };
      events++;
      if (data.type === 'completed' || data.type === 'error') terminal = true;
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (!firstByteMs) firstByteMs = performance.now() - start;
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (options.readDelay) await options.readDelay(chunk.length);
  }
  if (!terminal) throw new Error('the stream ended without a terminal event');
  return { firstByteMs, totalMs: performance.now() - start, events };
}

/** A baseline server in a process of its own, as the worker is: `source` listens on PORT. */
export async function startBareServer(source: string, env: Record<string, string> = {}): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', `${source}.on('listening', function () { console.log(this.address().port) })`], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [port] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

/**
 * The relay's baseline: a bare node:http server that answers a POST with text/event-stream and
 * pipes the same CLI's stdout to the socket untouched; the client splits and parses its lines.
 */
export function startBareRelay(cli: string): Promise<{ url: string; stop: () => void }> {
  return startBareServer(
    `require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        const child = require('node:child_process').spawn(process.env.CLI, ['--session-id=bench'], { stdio: ['pipe', 'pipe', 'ignore'] });
        child.stdin.end('bench');
        child.stdout.pipe(res);
      });
    }).listen(0, '127.0.0.1')`,
    { CLI: cli },
  );
}

export async function runRawJob(url: string): Promise<StreamTiming> {
  const start = performance.now();
  const response = await fetch(`${url}/execute`, { method: 'POST', body: jobBody });
  let firstByteMs = 0;
  let events = 0;
  let rest = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (!firstByteMs) firstByteMs = performance.now() - start;
    const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      JSON.parse(line);
      events++;
    }
  }
  return { firstByteMs, totalMs: performance.now() - start, events };
}
