// `npm start` / `npm run db-api`: builds a stale bundle, then runs the server in this same
// process (a second node start would add a third of a second to every start).
import { buildIfStale } from './build-if-stale.mjs';

const entries = { worker: '../dist/worker.mjs', 'db-api': '../dist/db-api.mjs' };
const entry = entries[process.argv[2] ?? 'worker'];
if (!entry) {
  console.error(`usage: node scripts/start.mjs [${Object.keys(entries).join('|')}]`);
  process.exit(2);
}
const status = buildIfStale();
if (status !== 0) process.exit(status);
await import(entry);
