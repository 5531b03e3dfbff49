// Bundles the worker into one ESM file: workers restart after every job, and a bundle starts
// far faster than hundreds of separate module files. The reference DB API gets its own bundle;
// its database drivers stay outside it (PGlite loads its WebAssembly from its own package).
import { chmod, rm } from 'node:fs/promises';
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

// Chunk names carry a hash: without this, every build would leave the last one's behind.
await rm('dist/chunks', { recursive: true, force: true });

await Promise.all([
  // Split: what only some requests need (the API reference) is a chunk loaded on first use.
  build({
    ...common,
    entryPoints: { worker: 'src/infrastructure/main.ts' },
    outdir: 'dist',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
  }),
  // `npx unified-worker run ...`, and the typed client other programs import.
  build({ ...common, entryPoints: ['src/infrastructure/cli.ts'], outfile: 'dist/cli.mjs', banner: { js: `#!/usr/bin/env node\n${common.banner.js}` } }),
  build({ ...common, entryPoints: ['src/adapters/client/index.ts'], outfile: 'dist/client.mjs', banner: {} }),
  build({ ...common, entryPoints: ['src/db-api/main.ts'], outfile: 'dist/db-api.mjs', external: ['@electric-sql/pglite', 'pg'] }),
]);

// npm marks bin files executable when it installs the package; from a checkout this does.
await chmod('dist/cli.mjs', 0o755);
