import { createRequire } from 'node:module';

// package.json sits one level above the bundle (dist/) and two above this source file.
export const version: string = (() => {
  const require = createRequire(import.meta.url);
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string };
      if (pkg.name === 'unified-worker' && pkg.version) return pkg.version;
    } catch {
      // Not at this level.
    }
  }
  return '0.0.0';
})();
