import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cwdOf } from '../support/scripted-anthropic.js';
import { apiToken, providerToken, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { startGitServer } from '../support/git-server.js';
import { projectRoot } from '../support/worker-process.js';

/** A terminal a person would look at: tmux, 120 columns, the CLI run as `unified-worker run ...`. */
class Terminal {
  readonly session = `uw-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(env: Record<string, string>) {
    const exports = Object.entries(env).map(([key, value]) => `${key}='${value}'`).join(' ');
    execFileSync('tmux', ['new-session', '-d', '-s', this.session, '-x', '120', '-y', '50', '-c', projectRoot, `env ${exports} bash --norc --noprofile`]);
  }

  type(text: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.session, text, 'Enter']);
  }

  key(key: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.session, key]);
  }

  screen(): string {
    // -J joins the lines tmux wrapped at the right edge.
    return execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', this.session, '-S', '-200'], { encoding: 'utf8' });
  }

  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}; the screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  close(): void {
    execFileSync('tmux', ['kill-session', '-t', this.session]);
  }
}

describe('npx unified-worker run, as a person sees it in a terminal', () => {
  let fx: E2eFixture | undefined;
  let terminal: Terminal | undefined;
  afterEach(async () => {
    terminal?.close();
    terminal = undefined;
    await fx?.close();
    fx = undefined;
  });

  const open = (url: string) =>
    new Terminal({ WORKER_URL: url, WORKER_API_TOKEN: apiToken, CODING_ASSISTANT_ACCESS_TOKEN: providerToken, PATH: process.env.PATH ?? '/usr/bin:/bin' });

  it('shows the text as it streams, tools as one line, and a summary; exits 0', async () => {
    fx = await startE2e();
    fx.model.script([
      { kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request)!, 'hello.ts'), content: 'export {};\n' }) },
      { kind: 'text', text: 'Created hello.ts for you' },
    ]);
    terminal = open(fx.worker.url);
    terminal.type('npx unified-worker run "Create hello.ts" --provider claude-code; echo "exit=$?"');
    const screen = await terminal.waitFor(/exit=\d+/);
    expect(screen).toMatch(/→ Write …?\S*\/hello\.ts/);
    expect(screen).toContain('Created hello.ts for you');
    expect(screen).toMatch(/✔ completed in \d+\.\d s/);
    expect(screen).toMatch(/session [0-9a-f-]{36}, \d+ in \/ \d+ out tokens/);
    expect(screen).toContain('exit=0');
    expect(screen).not.toContain(providerToken);
  });

  it('with --repo, clones first and ends with the files the assistant changed', async () => {
    const git = await startGitServer();
    try {
      const repoUrl = await git.createRepo('api', { 'README.md': '# api\n' });
      fx = await startE2e({ GIT_ALLOWED_INSECURE_HOSTS: '127.0.0.1' });
      fx.model.script([
        { kind: 'tool_use', name: 'Write', input: (request) => ({ file_path: join(cwdOf(request)!, 'hello.ts'), content: 'export {};\n' }) },
        { kind: 'text', text: 'Added hello.ts' },
      ]);
      terminal = new Terminal({ WORKER_URL: fx.worker.url, WORKER_API_TOKEN: apiToken, CODING_ASSISTANT_ACCESS_TOKEN: providerToken, GITHUB_TOKEN: git.token, PATH: process.env.PATH ?? '' });
      terminal.type(`npx unified-worker run "Add hello.ts" --repo ${repoUrl}; echo "exit=$?"`);
      const screen = await terminal.waitFor(/exit=\d+/);
      expect(screen).toContain('· fetching the repository');
      expect(screen).toMatch(/1 file\(s\) changed/);
      expect(screen).toContain('added hello.ts (+1 -0)');
      expect(screen).toContain('exit=0');
      expect(screen).not.toContain(git.token);
    } finally {
      await git.close();
    }
  });

  it('--json prints every event as one JSON line, for scripts', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'text', text: 'as json' }]);
    terminal = open(fx.worker.url);
    terminal.type('npx unified-worker run "hi" --json > /tmp/uw-cli-$$.jsonl; echo "exit=$?"; tail -1 /tmp/uw-cli-$$.jsonl; rm /tmp/uw-cli-$$.jsonl');
    const screen = await terminal.waitFor(/exit=\d+[\s\S]*"type":"completed"/);
    expect(screen).toContain('exit=0');
    expect(screen).toMatch(/\{"type":"completed".*"result":"as json"/);
  });

  it('ends non-zero with the error code when the job fails', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'status', status: 401 }]);
    terminal = open(fx.worker.url);
    terminal.type('npx unified-worker run "hi"; echo "exit=$?"');
    const screen = await terminal.waitFor(/exit=\d+/);
    expect(screen).toMatch(/✖ PROVIDER_ERROR: the model API answered 401/);
    expect(screen).toContain('exit=1');
  });

  it('Ctrl-C cancels the job on the worker and exits 130', async () => {
    fx = await startE2e();
    fx.model.script([{ kind: 'hang' }]);
    terminal = open(fx.worker.url);
    terminal.type('npx unified-worker run "wait forever"');
    await terminal.waitFor(/session [0-9a-f-]{36}|workspace ready/);
    terminal.key('C-c');
    await terminal.waitFor(/cancelled/);
    // A Ctrl-C also stops the shell's command list, as it should: the status is asked for after.
    terminal.type('echo "exit=$?"');
    const screen = await terminal.waitFor(/exit=\d+/);
    expect(screen).toContain('cancelled');
    expect(screen).toContain('exit=130');
    expect(await fx.worker.logged('job ended')).toMatchObject({ failure: 'CANCELLED' });
  });
});
