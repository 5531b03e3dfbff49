import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The claude binary from the pinned npm package. The platform package holds the real binary;
 * bin/claude.exe is a hard link to it made by an install script that newer npm may skip.
 */
export function findClaudeExecutable(from: string): string {
  const require = createRequire(from);
  const platform = `@anthropic-ai/claude-code-${process.platform}-${process.arch}`;
  // npm installs only the package that matches this machine's libc, so trying both is enough.
  const candidates = [
    () => join(dirname(require.resolve(`${platform}/package.json`)), 'claude'),
    () => join(dirname(require.resolve(`${platform}-musl/package.json`)), 'claude'),
    () => join(dirname(require.resolve('@anthropic-ai/claude-code/package.json')), 'bin', 'claude.exe'),
  ];
  for (const candidate of candidates) {
    try {
      const path = candidate();
      if (existsSync(path)) return path;
    } catch {
      // Not installed for this platform: try the next.
    }
  }
  return 'claude';
}
