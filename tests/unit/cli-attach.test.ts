import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedJobServer, scriptedEvents } from '../support/scripted-job-server.js';
import { projectRoot } from '../support/worker-process.js';

const apiToken = 'w'.repeat(32);
const database = { sessionId: 'session-1', accessToken: 'db-token' };

interface CliRun {
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
  /** Resolves once the output (stdout or stderr) matches `pattern`. */
  shows(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<void>;
  interrupt(): void;
}

/** `unified-worker <args>` as one node process (tsx as a loader, so SIGINT reaches the CLI itself). */
function cli(args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/infrastructure/cli.ts', ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...env },
  });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  const run: CliRun = {
    stdout: '',
    stderr: '',
    exited: once(child, 'exit').then(([code]) => code as number | null),
    shows: (pattern, stream = 'stdout') =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(run[stream])) return;
          child[stream].off('data', check);
          resolve();
        };
        child[stream].on('data', check);
        child.once('exit', () => reject(new Error(`the CLI exited before ${pattern}; stdout:\n${run.stdout}\nstderr:\n${run.stderr}`)));
        check();
      }),
    interrupt: () => child.kill('SIGINT'),
  };
  child.stdout.prependListener('data', (text: string) => (run.stdout += text));
  child.stderr.prependListener('data', (text: string) => (run.stderr += text));
  return run;
}

async function finished(run: CliRun): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const code = await run.exited;
  return { code, stdout: run.stdout, stderr: run.stderr };
}

describe('unified-worker attach, and run --detach', () => {
  const servers: ScriptedJobServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  const worker = async (events = scriptedEvents('job-1', 6)) => {
    const server = await ScriptedJobServer.start('worker', apiToken);
    server.addJob(events, database);
    servers.push(server);
    return { server, env: { WORKER_URL: server.url, WORKER_API_TOKEN: apiToken } };
  };

  it('renders a job it attaches to, each event once across a broken stream, and exits 0 when it completed', async () => {
    const { server, env } = await worker();
    server.plan({ cutAfter: 3 });
    const { code, stdout } = await finished(cli(['attach', 'job-1'], env));
    expect(code).toBe(0);
    expect(stdout).toContain('job job-1 on w-1 (claude-code)');
    for (let step = 1; step <= 6; step++) expect(stdout.split(`· step ${step}\n`)).toHaveLength(2);
    expect(stdout).toMatch(/✔ completed in 1\.2 s/);
    expect(server.eventRequests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '2']);
  });

  it('--after N --json prints the events after seq N as JSON lines', async () => {
    const { server, env } = await worker();
    const { code, stdout } = await finished(cli(['attach', 'job-1', '--after', '4', '--json'], env));
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').map((line) => JSON.parse(line).seq)).toEqual([5, 6, 7]);
    expect(server.eventRequests[0]!.headers['last-event-id']).toBe('4');
  });

  it('exits 1 with the code when the job ended with an error', async () => {
    const { env } = await worker(scriptedEvents('job-1', 2, 'error'));
    const { code, stdout } = await finished(cli(['attach', 'job-1'], env));
    expect(code).toBe(1);
    expect(stdout).toContain('✖ WORKER_LOST: the worker stopped renewing its lease');
  });

  it('exits 1 with NOT_FOUND for a job the worker does not know', async () => {
    const { env } = await worker();
    const { code, stderr } = await finished(cli(['attach', 'job-2'], env));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^NOT_FOUND: /);
  });

  it('says the job has ended when nothing follows --after, with the exit code of its verdict', async () => {
    const { env } = await worker();
    const { code, stdout, stderr } = await finished(cli(['attach', 'job-1', '--after', '7'], env));
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('job job-1 has ended (completed); no events after 7');
  });

  it('--db-api --session reads the DB API with DB_API_TOKEN when the worker no longer knows the job', async () => {
    const { server, env } = await worker();
    const db = await ScriptedJobServer.start('db-api');
    servers.push(db);
    db.addJob(scriptedEvents('job-1', 6), database);
    server.plan({ status: 404 });
    const { code, stdout } = await finished(cli(['attach', 'job-1', '--after', '3', '--db-api', db.url, '--session', 'session-1'], { ...env, DB_API_TOKEN: 'db-token' }));
    expect(code).toBe(0);
    expect(stdout).toContain('· step 4');
    expect(stdout).not.toContain('· step 3');
    expect(db.eventRequests.map((r) => [r.url, r.headers.authorization, r.headers['last-event-id']])).toEqual([
      ['/sessions/session-1/events?jobId=job-1', 'Bearer db-token', '3'],
    ]);
  });

  it.each([
    [['attach']],
    [['attach', 'job-1', '--after', 'x']],
    [['attach', 'job-1', '--after', '-1']],
    [['attach', 'job-1', '--db-api', 'http://127.0.0.1:9']],
    [['attach', 'job-1', '--db-api', 'http://127.0.0.1:9', '--session', 's']],
    [['attach', 'job-1', 'extra']],
  ])('exits 2 with the usage for %j', async (args) => {
    const { code, stderr } = await finished(cli(args, { WORKER_URL: 'http://127.0.0.1:9' }));
    expect(code).toBe(2);
    expect(stderr).toContain('unified-worker attach <jobId>');
  });

  it('run --detach asks the worker to keep the job, prints its id at once, and on Ctrl-C leaves it running', async () => {
    const { server, env } = await worker();
    server.plan({ holdAfter: 2 });
    const run = cli(['run', 'hi', '--detach'], env);
    await run.shows(/job job-1 runs detached: Ctrl-C leaves it running; follow it with: unified-worker attach job-1\n/, 'stderr');
    await run.shows(/· step 1\n/);
    run.interrupt();
    const { code, stderr } = await finished(run);
    expect(code).toBe(130);
    expect(stderr).toContain('left job job-1 running; follow it with: unified-worker attach job-1 --after 1');
    expect(stderr).not.toContain('cancelled');
    expect(server.requests[0]!.body).toMatchObject({ userRequest: 'hi', onDisconnect: 'continue' });
    expect(server.requests.filter((r) => r.url.includes('cancel'))).toEqual([]);
  });

  it('run without --detach cancels on Ctrl-C, as before', async () => {
    const { server, env } = await worker();
    server.plan({ holdAfter: 2 });
    const run = cli(['run', 'hi'], env);
    await run.shows(/· step 1\n/);
    run.interrupt();
    const { code, stderr } = await finished(run);
    expect(code).toBe(130);
    expect(stderr).toContain('cancelled');
    expect(server.requests[0]!.body).not.toHaveProperty('onDisconnect');
  });
});
