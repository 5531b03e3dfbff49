// `npm start` and `npm run db-api` build only when the bundle is missing or older than what it
// is built from: a full build takes 13-25 s on two cores, starting a built worker half a second.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const outputs = ['dist/worker.mjs', 'dist/worker.cjs', 'dist/worker.cjs.cache', 'dist/db-api.mjs', 'dist/cli.mjs', 'dist/client.mjs'];
const inputs = ['src', 'scripts/bundle.mjs', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.client.json'];

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
};

/** The newest modification time of a file, or of any file under a directory. */
function newest(path) {
  const own = mtime(path) ?? 0;
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return own;
  }
  return Math.max(own, ...entries.map((entry) => newest(join(path, entry.name))));
}

/** Builds when the bundle is stale; the exit status of the build, or 0 when there was none. */
export function buildIfStale() {
  const built = outputs.map(mtime);
  const stale = built.some((time) => time === undefined) || Math.max(...inputs.map(newest)) > Math.min(...built);
  if (!stale) return 0;
  return spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' }).status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(buildIfStale());
