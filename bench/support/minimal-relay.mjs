#!/usr/bin/env node
// bench/cpu's baseline: the least a program can do to serve a Claude Code job over HTTP. On a
// POST it makes the job a fresh HOME and working directory, spawns CLI with the worker's argv
// and environment (claude-code.args.ts, claude-code.env.ts: the prompt on stdin, a session id
// chosen up front), relays each stdout line as an SSE `data:` line, ends the response when the
// CLI exits and removes the directories. Plain node, no loader: its CPU is all its own.
// Listens on 127.0.0.1:PORT and prints the port on stdout.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';

const { CLI, ROOT, MODEL_URL, API_KEY } = process.env;

createServer((req, res) => {
  req.resume();
  req.on('end', async () => {
    const home = await mkdtemp(join(ROOT, 'home-'));
    const cwd = await mkdtemp(join(ROOT, 'ws-'));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const args = ['-p', '--output-format', 'stream-json', '--verbose', '--setting-sources=user', '--strict-mcp-config', '--permission-mode=acceptEdits', `--session-id=${randomUUID()}`];
    const child = spawn(CLI, args, {
      cwd,
      detached: true,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        LANG: 'C.UTF-8',
        CLAUDE_CONFIG_DIR: join(home, '.claude'),
        DISABLE_AUTOUPDATER: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_MAX_RETRIES: '0',
        ANTHROPIC_BASE_URL: MODEL_URL,
        ANTHROPIC_API_KEY: API_KEY,
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    child.stdin.end('bench');
    child.stdout.setEncoding('utf8');
    let rest = '';
    child.stdout.on('data', (text) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop();
      let out = '';
      for (const line of lines) if (line) out += `data: ${line}\n\n`;
      if (out) res.write(out);
    });
    child.on('close', async () => {
      res.end(rest ? `data: ${rest}\n\n` : undefined);
      await rm(home, { recursive: true, force: true });
      await rm(cwd, { recursive: true, force: true });
    });
  });
})
  .listen(Number(process.env.PORT ?? 0), '127.0.0.1')
  .on('listening', function () {
    console.log(this.address().port);
  });
