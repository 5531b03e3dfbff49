import { afterEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { collectEvents, postExecute } from '../support/sse-client.js';

describe('what an operator sees', () => {
  let fx: E2eFixture;
  afterEach(async () => fx?.close());

  it('GET /metrics counts jobs by provider and outcome and times them, in Prometheus format', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'text', text: 'measured' }]);
    await collectEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
    fx.model.script([{ kind: 'status', status: 401 }]);
    await collectEvents(await postExecute(fx.worker.url, executeBody(), { token: apiToken }));
    await fx.worker.logged('job ended');
    const response = await fetch(`${fx.worker.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('unified_worker_jobs_total{provider="claude-code",outcome="completed"} 1');
    expect(text).toContain('unified_worker_jobs_total{provider="claude-code",outcome="PROVIDER_ERROR"} 1');
    expect(text).toContain('unified_worker_job_stops_total{provider="claude-code",reason="finished"} 1');
    expect(text).toContain('unified_worker_job_stops_total{provider="claude-code",reason="failed"} 1');
    expect(text).toMatch(/unified_worker_job_duration_seconds_count\{provider="claude-code",outcome="completed"\} 1/);
    expect(text).toMatch(/unified_worker_time_to_first_item_seconds_count\{provider="claude-code"\} 2/);
    expect(text).toContain('unified_worker_busy 0');
    expect(text).toContain('unified_worker_persistence_backlog 0');
    // The 401 is the model's answer: the CLI itself exits 1 both times it ran.
    expect(text).toMatch(/unified_worker_provider_exits_total\{provider="claude-code",code="(0|1)"\} \d/);
    expect(text).toContain('unified_worker_process_resident_memory_bytes');
  });

  it('puts the job id on every log line written while the job runs, whoever writes it', async () => {
    fx = await startE2e({ DB_BASE_URL: 'http://127.0.0.1:9/unreachable', DB_FLUSH_TIMEOUT_MS: '300', DB_RETRY_BASE_MS: '10', DB_RETRY_MAX_MS: '20' });
    fx.model.script([{ kind: 'text', text: 'logged' }]);
    const events = await collectEvents(
      await postExecute(fx.worker.url, executeBody({ database: { sessionId: 's-logs', accessToken: 'db-token-0123456789abcdef' } }), { token: apiToken }),
    );
    const jobId = events[0]!.data.jobId;
    await fx.worker.logged('job ended');
    const lines = fx.worker.output.flatMap((line) => {
      try {
        return [JSON.parse(line) as { msg: string; jobId?: string }];
      } catch {
        return [];
      }
    });
    const during = lines.slice(lines.findIndex((line) => line.msg === 'job started'), lines.findIndex((line) => line.msg === 'job ended') + 1);
    // The persistence adapter's warning about the unreachable DB API is among them.
    expect(during.length).toBeGreaterThan(2);
    for (const line of during) expect(line, line.msg).toMatchObject({ jobId });
  });

  it('says which worker answered, on every response, the stream included', async () => {
    fx = await startE2e({ WORKER_ID: 'worker-7' });
    expect((await fetch(`${fx.worker.url}/health`)).headers.get('x-worker-id')).toBe('worker-7');
    expect((await postExecute(fx.worker.url, {}, { token: apiToken })).headers.get('x-worker-id')).toBe('worker-7');
    fx.model.script([{ kind: 'text', text: 'hi' }]);
    const response = await postExecute(fx.worker.url, executeBody(), { token: apiToken });
    expect(response.headers.get('x-worker-id')).toBe('worker-7');
    const events = await collectEvents(response);
    expect(events[0]?.data).toMatchObject({ type: 'connected', workerId: 'worker-7' });
  });
});
