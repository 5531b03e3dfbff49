/**
 * The worker's entry point (dist/worker.mjs): runs the worker bundle (dist/worker.cjs) through
 * V8's code cache. Compiling the bundle is about a quarter of a cold start, and every job starts
 * a fresh process. Node 20 has no compile cache of its own (module.enableCompileCache came in
 * 22), and a cache taken right after compiling holds only the top level, so the build starts
 * the worker once, serves a few requests, and keeps what V8 compiled by then (see
 * scripts/bundle.mjs).
 */
import { fileURLToPath } from 'node:url';
import { compileBundle } from './code-cache.js';

const writeCache = process.env.UNIFIED_WORKER_WRITE_CODE_CACHE === '1';
const bundle = compileBundle(fileURLToPath(new URL('./worker.cjs', import.meta.url)), { useCache: !writeCache });
// On exit, after the build's warm-up requests: the cache then holds what serving them compiled.
if (writeCache) process.once('exit', () => bundle.saveCache());
bundle.run();
