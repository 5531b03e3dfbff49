// Bundles the worker into one file: workers restart after every job, and a bundle starts far
// faster than hundreds of separate module files. The worker bundle is CommonJS, run by a small
// ESM entry through V8's code cache (src/infrastructure/boot.ts), which this script warms by
// starting the worker once. The reference DB API gets its own bundle; its database drivers stay
// outside it (PGlite loads its WebAssembly from its own package).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  legalComments: 'none',
  // Less to parse at every start; identifiers stay, so stack traces in logs still read.
  minifyWhitespace: true,
  minifySyntax: true,
  // CommonJS dependencies (pino) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
};

// What earlier builds left: chunks named by hash, and a code cache of another bundle.
await rm('dist/chunks', { recursive: true, force: true });
await rm('dist/worker.cjs.cache', { force: true });

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/infrastructure/main.ts'],
    outfile: 'dist/worker.cjs',
    format: 'cjs',
    // The sources find their package and the installed CLIs from their own location.
    define: { 'import.meta.url': '__bundleUrl' },
    // The price list is 2 MB of data that few jobs need: loaded from its package when one does.
    external: ['@pydantic/genai-prices'],
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  }),
  build({ ...common, entryPoints: ['src/infrastructure/boot.ts'], outfile: 'dist/worker.mjs', banner: {} }),
  // `npx unified-worker run ...`, and the typed client other programs import.
  build({ ...common, entryPoints: ['src/infrastructure/cli.ts'], outfile: 'dist/cli.mjs', banner: { js: `#!/usr/bin/env node\n${common.banner.js}` } }),
  build({ ...common, entryPoints: ['src/adapters/client/index.ts'], outfile: 'dist/client.mjs', banner: {} }),
  build({ ...common, entryPoints: ['src/db-api/main.ts'], outfile: 'dist/db-api.mjs', external: ['@electric-sql/pglite', 'pg'] }),
]);

// npm marks bin files executable when it installs the package; from a checkout this does.
await chmod('dist/cli.mjs', 0o755);

/**
 * Starts the worker on a free loopback port, asks for what a job's first request needs (health,
 * the auth check, the body's validation), and stops it: on exit it writes the code cache.
 */
async function warmCodeCache() {
  const dir = await mkdtemp(join(tmpdir(), 'unified-worker-build-'));
  const worker = spawn(process.execPath, ['dist/worker.mjs'], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', WORKSPACE_DIR: dir, WORKER_API_TOKEN: 'w'.repeat(32), UNIFIED_WORKER_WRITE_CODE_CACHE: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A warm-up that hangs must not hang the build.
  const timer = setTimeout(() => worker.kill('SIGKILL'), 30_000);
  try {
    let port;
    for await (const line of createInterface({ input: worker.stdout })) {
      port = /"msg":"listening"/.test(line) ? JSON.parse(line).port : undefined;
      if (port) break;
    }
    if (!port) throw new Error('the worker did not start');
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${'w'.repeat(32)}`, 'content-type': 'application/json' };
    await (await fetch(`${base}/health`)).text();
    await (await fetch(`${base}/execute`, { method: 'POST', headers: auth, body: '{"provider":"claude-code"}' })).text();
    await (await fetch(`${base}/execute`, { method: 'POST', headers: { ...auth, authorization: 'Bearer x' }, body: '{}' })).text();
    worker.kill('SIGTERM');
    await once(worker, 'exit');
    await stat('dist/worker.cjs.cache');
  } finally {
    clearTimeout(timer);
    worker.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

// The cache only saves start-up time: without it the worker still runs, so the build goes on
// (tests/unit/code-cache.test.ts is what notices a build that lost it).
await warmCodeCache().catch((error) => console.warn(`bundle: no code cache for the worker (${error.message}); it will start without one`));
