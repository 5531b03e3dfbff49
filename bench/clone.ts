/**
 * bench/clone: our clone path (partial clone; then a warm GIT_CACHE_DIR mirror) against a plain
 * `git clone` of the same URL, on a generated repository served by git http-backend on loopback.
 * Prints medians and ratios; absolute times on these machines drift, ratios less so.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SimpleGitRepo } from '../src/adapters/repo/index.js';
import { Secret } from '../src/domain/secret.js';
import { startGitServer } from '../tests/support/git-server.js';
import { median, report, timed } from './support/measure.js';

const run = promisify(execFile);
const files = Number(process.env.BENCH_FILES ?? 5000);
const commits = Number(process.env.BENCH_COMMITS ?? 1000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

/** A fast-import stream: `files` files in the first commit, then `commits` commits each touching a few. */
function history(): string {
  const lines: string[] = [];
  const when = 1_700_000_000;
  const blob = (path: string, content: string) => `M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}`;
  for (let c = 0; c < commits; c++) {
    const message = `commit ${c}`;
    lines.push(`commit refs/heads/main\ncommitter Bench <bench@example.test> ${when + c} +0000\ndata ${message.length}\n${message}`);
    const touched = c === 0 ? Array.from({ length: files }, (_, i) => i) : [c % files, (c * 7) % files, (c * 13) % files];
    for (const i of touched) lines.push(blob(`src/dir${i % 50}/file${i}.ts`, `export const value${i} = ${c};\n// ${'x'.repeat(200)}\n`));
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

const server = await startGitServer();
const root = await mkdtemp(join(tmpdir(), 'uw-bench-clone-'));
try {
  const started = Date.now();
  const url = await server.importRepo('big', history());
  console.log(`generated ${files} files, ${commits} commits in ${Date.now() - started} ms`);
  const settings = {
    allowedHosts: [],
    insecureHosts: ['127.0.0.1'],
    path: process.env.PATH ?? '/usr/bin:/bin',
    timeoutMs: 120_000,
    authorName: 'bench',
    authorEmail: 'bench@example.test',
    progressIntervalMs: 100,
  };
  const spec = { repoUrl: url, accessToken: new Secret(server.token) };
  let n = 0;
  const fresh = async () => {
    const dir = join(root, `ws-${++n}`);
    await mkdir(dir);
    return dir;
  };
  const header = `http.extraHeader=Authorization: Bearer ${server.token}`;
  const plain = async () => run('git', ['-c', header, 'clone', '-q', url, await fresh()]);
  const ours = new SimpleGitRepo({ ...settings, stateDir: join(root, 'state') });
  const cached = new SimpleGitRepo({ ...settings, stateDir: join(root, 'state'), cacheDir: join(root, 'cache') });
  const never = new AbortController().signal;
  await cached.prepare(spec, await fresh(), () => undefined, never); // warms the mirror

  const baseline: number[] = [];
  const partial: number[] = [];
  const warm: number[] = [];
  const bytes = { baseline: 0, partial: 0, warm: 0 };
  const measure = async (into: number[], key: keyof typeof bytes, work: () => Promise<unknown>) => {
    const before = server.bytesServed();
    into.push(await timed(work));
    bytes[key] = server.bytesServed() - before;
  };
  for (let i = 0; i < rounds; i++) {
    await measure(baseline, 'baseline', plain);
    await measure(partial, 'partial', async () => ours.prepare(spec, await fresh(), () => undefined, never));
    await measure(warm, 'warm', async () => cached.prepare(spec, await fresh(), () => undefined, never));
  }
  report('clone: time', [
    ['plain git clone (baseline)', median(baseline)],
    ['ours, default (partial, single branch)', median(partial)],
    ['ours, warm GIT_CACHE_DIR', median(warm)],
  ]);
  console.log('\nclone: bytes served by the remote, one clone');
  for (const [label, value] of Object.entries(bytes)) {
    console.log(`  ${label.padEnd(44)} ${String(value).padStart(9)} B   ${(value / bytes.baseline).toFixed(3)}x`);
  }
} finally {
  await server.close();
  await rm(root, { recursive: true, force: true });
}
