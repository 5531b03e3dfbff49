import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileBundle } from '../../src/infrastructure/code-cache.js';

// The test command builds first: this is the bundle and the cache `npm start` uses.
const bundle = fileURLToPath(new URL('../../dist/worker.cjs', import.meta.url));

describe('the worker bundle code cache', () => {
  it('is written by the build and taken by V8 in this Node', () => {
    expect(compileBundle(bundle, { useCache: true }).cacheMissed).toBe(false);
  });

  it('reports a miss when asked to compile without it', () => {
    expect(compileBundle(bundle, { useCache: false }).cacheMissed).toBe(true);
  });
});
