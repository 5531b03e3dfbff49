import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

export interface CompiledBundle {
  /** False when V8 took the cache; true when there was none or it did not fit this Node. */
  cacheMissed: boolean;
  /** Runs the bundle as Node runs a CommonJS file. */
  run(): void;
  /** Writes what V8 has compiled of the bundle so far as its cache. */
  saveCache(): void;
}

/**
 * A CommonJS bundle compiled with the V8 code cache kept beside it (`<bundle>.cache`). A
 * missing or rejected cache (another Node, other V8 flags) costs only the compiling.
 */
export function compileBundle(bundle: string, options: { useCache: boolean }): CompiledBundle {
  const cacheFile = `${bundle}.cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = options.useCache ? readFileSync(cacheFile) : undefined;
  } catch {
    // No cache yet.
  }
  // The same wrapper Node gives a CommonJS file; the newline keeps a closing line comment harmless.
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, 'utf8')}\n})`;
  const script = new Script(source, { filename: bundle, cachedData });
  return {
    cacheMissed: cachedData === undefined || script.cachedDataRejected === true,
    run: () => {
      const module = { exports: {} };
      (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
    },
    saveCache: () => {
      writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
      renameSync(`${cacheFile}.tmp`, cacheFile);
    },
  };
}
