// Keeps in node_modules only what the image runs as programs of their own or loads from its
// package: the chosen provider CLIs, the DB API's database drivers and the price list, with what
// they depend on. The worker's bundle holds every other library, and the build copied the docs
// page's script beside it.
// Usage: node prune-modules.mjs claude-code codex gemini opencode copilot   (in /app)
import { readdirSync, readFileSync, rmSync } from 'node:fs';

const cliPackages = {
  'claude-code': '@anthropic-ai/claude-code',
  codex: '@openai/codex',
  gemini: '@google/gemini-cli',
  opencode: 'opencode-linux-x64',
  copilot: '@github/copilot',
};
const unknown = process.argv.slice(2).filter((name) => !(name in cliPackages));
if (unknown.length > 0) {
  console.error(`prune-modules: unknown provider ${unknown.join(', ')} (${Object.keys(cliPackages).join(' ')})`);
  process.exit(2);
}
// The price list the worker's bundle loads from its package on first use (scripts/bundle.mjs).
const loadedAtRunTime = ['@pydantic/genai-prices'];
const roots = [...process.argv.slice(2).map((name) => cliPackages[name]), ...loadedAtRunTime, '@electric-sql/pglite', 'pg'];

// npm's record of the installed tree: every package by its path, with what it depends on.
const { packages } = JSON.parse(readFileSync('node_modules/.package-lock.json', 'utf8'));

/** Where node finds `name` from the package at `from`: its own node_modules, then each parent's. */
function resolve(from, name) {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const path = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[path]) return path;
    if (!dir) return undefined;
  }
}

const kept = new Set();
const queue = roots.map((name) => resolve('', name)).filter(Boolean);
while (queue.length > 0) {
  const path = queue.pop();
  if (kept.has(path)) continue;
  kept.add(path);
  const { dependencies = {}, optionalDependencies = {} } = packages[path];
  for (const name of Object.keys({ ...dependencies, ...optionalDependencies })) {
    const found = resolve(path, name);
    if (found) queue.push(found);
  }
}
for (const path of Object.keys(packages).filter((path) => path && !kept.has(path))) rmSync(path, { recursive: true, force: true });
rmSync('node_modules/.bin', { recursive: true, force: true });
for (const scope of readdirSync('node_modules').filter((name) => name.startsWith('@'))) {
  if (readdirSync(`node_modules/${scope}`).length === 0) rmSync(`node_modules/${scope}`, { recursive: true });
}
// Codex's voice host (and its GStreamer) serves only its interactive mode.
for (const path of kept) if (path.startsWith('node_modules/@openai/codex-linux-')) rmSync(`${path}/vendor/x86_64-unknown-linux-musl/codex-resources/voice`, { recursive: true, force: true });
console.log(`prune-modules: kept ${kept.size} packages for ${process.argv.slice(2).join(' ') || 'no provider'}`);
