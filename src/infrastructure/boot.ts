/**
 * The worker's entry point (dist/worker.mjs): runs the worker bundle (dist/worker.cjs) through
 * V8's code cache. Compiling the bundle is about a quarter of a cold start, and every job starts
 * a fresh process. Node 20 has no compile cache of its own (module.enableCompileCache came in
 * 22), and a cache taken right after compiling holds only the top level, so the build starts
 * the worker once, serves a few requests, and keeps what V8 compiled by then (see
 * scripts/bundle.mjs). A missing or rejected cache (another Node or V8 flags) only costs time.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = fileURLToPath(new URL('./worker.cjs', import.meta.url));
const cacheFile = `${bundle}.cache`;
const writeCache = process.env.UNIFIED_WORKER_WRITE_CODE_CACHE === '1';

function readCache(): Buffer | undefined {
  try {
    return writeCache ? undefined : readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

// The same wrapper Node gives a CommonJS file; the newline keeps a closing line comment harmless.
const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, 'utf8')}\n})`;
const script = new Script(source, { filename: bundle, cachedData: readCache() });
if (writeCache) {
  // On exit, after the build's warm-up requests: the cache then holds what serving them compiled.
  process.once('exit', () => {
    writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
    renameSync(`${cacheFile}.tmp`, cacheFile);
  });
}
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
