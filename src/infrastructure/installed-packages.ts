import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** A provider CLI as installed from its pinned npm package, or a bare command left to PATH. */
export interface InstalledCli {
  executable: string;
  /** The installed package's version; absent when the CLI comes from PATH. */
  version?: string;
}

/**
 * A file inside an installed package, when the package and the file are there. Found through
 * node's lookup paths rather than require.resolve, which a package's "exports" can refuse.
 */
function packageFile(from: string, pkg: string, file: string): InstalledCli | undefined {
  for (const dir of createRequire(from).resolve.paths(pkg) ?? []) {
    const manifest = join(dir, pkg, 'package.json');
    if (!existsSync(manifest)) continue;
    const path = join(dir, pkg, file);
    if (!existsSync(path)) return undefined;
    try {
      return { executable: path, version: (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version };
    } catch {
      return { executable: path };
    }
  }
  return undefined;
}

/**
 * The claude binary. The platform package holds the real binary; bin/claude.exe is a hard link
 * to it made by an install script that newer npm may skip. npm installs only the package that
 * matches this machine's libc, so trying both is enough.
 */
export function findClaude(from: string): InstalledCli {
  const platform = `@anthropic-ai/claude-code-${process.platform}-${process.arch}`;
  const version = packageFile(from, '@anthropic-ai/claude-code', 'package.json')?.version;
  const binary = packageFile(from, platform, 'claude') ?? packageFile(from, `${platform}-musl`, 'claude');
  const found = binary ?? packageFile(from, '@anthropic-ai/claude-code', 'bin/claude.exe');
  return found ? { executable: found.executable, version } : { executable: 'claude' };
}

/** Codex's node launcher: it finds the native binary for this platform and forwards signals to it. */
export function findCodex(from: string): InstalledCli {
  return packageFile(from, '@openai/codex', 'bin/codex.js') ?? { executable: 'codex' };
}

export function findGemini(from: string): InstalledCli {
  return packageFile(from, '@google/gemini-cli', 'bundle/gemini.js') ?? { executable: 'gemini' };
}

/**
 * opencode's native binary, from its platform package (an optional dependency: the registry this
 * is built from carries the linux-x64 one; opencode-ai, its wrapper, needs every platform's).
 */
export function findOpencode(from: string): InstalledCli {
  return packageFile(from, `opencode-${process.platform}-${process.arch}`, 'bin/opencode') ?? { executable: 'opencode' };
}

/** Copilot's native binary: its npm loader runs it with spawnSync and would not pass a signal on. */
export function findCopilot(from: string): InstalledCli {
  const version = packageFile(from, '@github/copilot', 'package.json')?.version;
  const binary = packageFile(from, `@github/copilot-${process.platform}-${process.arch}`, 'copilot');
  return binary ? { executable: binary.executable, version } : { executable: 'copilot' };
}

/**
 * The API reference page's standalone script, so /docs needs no CDN: the copy the image keeps
 * beside the bundle (its node_modules holds only the CLIs), else the package's own.
 */
export function findDocsScript(from: string): string | undefined {
  const beside = new URL('./api-reference.standalone.js', from);
  if (beside.protocol === 'file:' && existsSync(beside)) return beside.pathname;
  return packageFile(from, '@scalar/api-reference', 'dist/browser/standalone.js')?.executable;
}
