// Bundles the worker into one ESM file: workers restart after every job, and a bundle starts
// far faster than hundreds of separate module files.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/infrastructure/main.ts'],
  outfile: 'dist/worker.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  legalComments: 'none',
  // CommonJS dependencies (pino) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
