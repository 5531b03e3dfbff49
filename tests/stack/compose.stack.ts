import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { collectEvents, postExecute } from '../support/sse-client.js';

const run = promisify(execFile);
const url = process.env.STACK_URL!;
const project = process.env.COMPOSE_PROJECT_NAME!;
const workers = Number(process.env.STACK_WORKERS ?? 3);
const token = process.env.WORKER_API_TOKEN!;
const docker = async (...args: string[]): Promise<string> => (await run('docker', args)).stdout.trim();

const body = (prompt: string) => ({ userRequest: prompt, codingAssistantProvider: 'claude-code', codingAssistantAccessToken: 'stack-test-provider-key' });

async function job(prompt: string): Promise<{ status: number; end: string; result?: string }> {
  const response = await postExecute(url, body(prompt), { token });
  if (!response.ok) return { status: response.status, end: await response.text() };
  const last = (await collectEvents(response)).at(-1)?.data as { type: string; result?: string } | undefined;
  return { status: response.status, end: last?.type ?? 'none', result: last?.result };
}

const workerContainers = async () =>
  (await docker('ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', 'label=com.docker.compose.service=worker')).split('\n').filter(Boolean);

describe(`docker-compose on one host: HAProxy and ${workers} one-job workers, each container restarted after its job`, () => {
  it(`runs ${3 * workers} concurrent jobs to completion: none meets a 503 or a 429`, async () => {
    const results = await Promise.all(Array.from({ length: 3 * workers }, () => job('[wait 2000] concurrent')));
    expect(results.map((r) => `${r.status} ${r.end}`)).toEqual(Array(3 * workers).fill('200 completed'));
  });

  it("lets the agent write its workspace, but not read the worker's credentials (given as variables) or gain privileges", async () => {
    const r = await job('[run] echo written > note.txt && cat note.txt; cat /tmp/unified-worker-secrets/worker_api_token 2>&1 | head -c 80; echo; grep NoNewPrivs /proc/self/status');
    expect(r.end).toBe('completed');
    expect(r.result).toContain('written');
    expect(r.result).toContain('Permission denied');
    expect(r.result).not.toContain(token);
    expect(r.result).toMatch(/NoNewPrivs:\s*1/);
  });

  it('starts each job in a restarted container from an empty workspace', async () => {
    // Every container has run a job by now and been restarted by compose: nothing of it is left.
    for (const container of await workerContainers()) {
      for (;;) {
        const state = await docker('inspect', '--format', '{{.State.Running}} {{.RestartCount}}', container);
        if (state.startsWith('true') && Number(state.split(' ')[1]) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const left = await docker('exec', container, 'find', '/workspace', '-mindepth', '1', '-maxdepth', '1', '!', '-name', '.unified-worker');
      const homes = await docker('exec', container, 'sh', '-c', 'ls -A /workspace/.unified-worker/homes 2>/dev/null || true');
      expect({ container, left, homes }).toEqual({ container, left: '', homes: '' });
    }
  });

  it('refuses to start a worker whose credential file the agent could read', async () => {
    const image = process.env.WORKER_IMAGE!;
    const dir = await mkdtemp(join(tmpdir(), 'uw-secret-'));
    await writeFile(join(dir, 'worker_api_token'), 'a-token-anyone-could-read-0123', { mode: 0o444 });
    await chmod(join(dir, 'worker_api_token'), 0o444);
    const started = await run('docker', ['run', '--rm', '-v', `${dir}/worker_api_token:/run/secrets/worker_api_token:ro`, image]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    await rm(dir, { recursive: true });
    expect(started.code).toBe(78);
    expect(started.stderr).toContain('is readable by agent');
  });
});
