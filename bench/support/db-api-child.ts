/**
 * A DB API in a process of its own, as a user's is: `memory` keeps chunks in memory,
 * `reference` is the reference server on PGlite (or TEST_DATABASE_URL), `drain` reads each
 * request and stores nothing. It tells its parent where it listens, answers `requests` with
 * how many it served, and exits on `close`.
 */
import { startFaultDbApi } from '../../tests/support/fault-db-api.js';
import { startReferenceDbApi } from '../../tests/support/reference-db-api.js';
import { startDrainDbApi } from './drain-db-api.js';

const kind = process.argv[2];
const api =
  kind === 'memory'
    ? await startFaultDbApi().then((memory) => ({ ...memory, requests: () => memory.requests.length }))
    : kind === 'drain'
      ? await startDrainDbApi()
      : await startReferenceDbApi();
process.send!({ url: api.url, token: api.token });
process.on('message', (message) => {
  if (message === 'requests') process.send!({ requests: api.requests() });
  if (message === 'close') void api.close().then(() => process.exit(0));
});
