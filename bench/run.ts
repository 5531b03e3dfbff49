/** Runs every benchmark in turn: `npm run bench` (or `npx tsx bench/<name>.ts` for one). */
const only = process.argv.slice(2);
const benches = ['first-byte', 'relay', 'overhead', 'credential-proxy', 'cpu', 'cold-start', 'slow-client', 'persist', 'clone', 'pool', 'event-log'];
for (const name of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  await import(`./${name}.ts`);
}
