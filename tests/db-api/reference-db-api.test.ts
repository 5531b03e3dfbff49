import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbApiSessionStore, HttpDbApiPersistence } from '../../src/adapters/persistence/index.js';
import type { JobEvent } from '../../src/domain/job-event.js';
import { Secret } from '../../src/domain/secret.js';
import { describeSessionStoreContract } from '../contract/session-store.contract.js';
import { MemorySessionStore, silentLogger } from '../support/in-memory.js';
import { startReferenceDbApi, type ReferenceDbApi } from '../support/reference-db-api.js';

const doc = JSON.parse(readFileSync(new URL('../../docs/db-api.openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
};
const ajv = new Ajv2020.default({ strict: false });
ajv.addSchema(doc, 'db-api');

/** Checks a response against the document's schema for that route, method and status. */
async function conforms(response: Response, path: string, method: string): Promise<void> {
  const spec = doc.paths[path]?.[method]?.responses[String(response.status)];
  expect(spec, `${method.toUpperCase()} ${path} ${response.status} is documented`).toBeDefined();
  const schema = spec?.content?.['application/json']?.schema;
  if (!schema) return;
  const pointer = JSON.stringify(['paths', path, method, 'responses', String(response.status), 'content', 'application/json', 'schema'])
    .slice(1, -1)
    .split(',')
    .map((part) => JSON.parse(part).replaceAll('~', '~0').replaceAll('/', '~1'))
    .join('/');
  const validate = ajv.getSchema(`db-api#/${pointer}`)!;
  const body = await response.json();
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}

// Unique per run: with TEST_DATABASE_URL the database outlives the test run.
const run = Math.random().toString(36).slice(2, 10);

describe('the reference DB API on PostgreSQL (PGlite)', () => {
  let api: ReferenceDbApi;
  beforeAll(async () => {
    api = await startReferenceDbApi();
  });
  afterAll(async () => api.close());

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('answers every route as its OpenAPI document says', async () => {
    await conforms(await call('GET', '/health'), '/health', 'get');
    await conforms(await call('PATCH', `/sessions/s-doc-${run}`, { status: 'running', jobId: 'j1' }), '/sessions/{id}', 'patch');
    await conforms(await call('PATCH', `/sessions/s-doc-${run}`, { status: 'nope' }), '/sessions/{id}', 'patch');
    const chunk = { seq: 0, type: 'connected', data: { type: 'connected' }, timestamp: 't' };
    await conforms(await call('POST', `/sessions/s-doc-${run}/chunks`, { jobId: 'j1', chunks: [chunk] }), '/sessions/{id}/chunks', 'post');
    await conforms(await call('POST', `/sessions/s-doc-${run}/chunks`, { chunks: 'x' }), '/sessions/{id}/chunks', 'post');
    await conforms(await call('GET', `/sessions/s-doc-${run}/chunks`), '/sessions/{id}/chunks', 'get');
    await conforms(await call('GET', `/sessions/s-doc-${run}/snapshot`), '/sessions/{id}/snapshot', 'get');
    const snapshot = { session: { provider: 'claude-code', providerSessionId: 'p1' }, artifacts: [], savedAt: 1 };
    await conforms(await call('PUT', `/sessions/s-doc-${run}/snapshot`, snapshot), '/sessions/{id}/snapshot', 'put');
    await conforms(await call('GET', `/sessions/s-doc-${run}/snapshot`), '/sessions/{id}/snapshot', 'get');
  });

  it('documents every route it serves', () => {
    const served = api.app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    for (const route of served) {
      const [method, path] = route.split(' ');
      expect(doc.paths[path!]?.[method!], route).toBeDefined();
    }
  });

  it('refuses requests without the bearer token', async () => {
    expect((await fetch(`${api.url}/sessions/s/chunks`)).status).toBe(401);
  });

  it('stores what the worker adapter records, in seq order, each once', async () => {
    const recorder = new HttpDbApiPersistence(
      { baseUrl: api.url, batchSize: 40, batchIntervalMs: 5, bufferMax: 10_000, requestTimeoutMs: 5000, baseMs: 10, maxMs: 100 },
      silentLogger,
    ).open('job-7', { sessionId: `s-adapter-${run}`, accessToken: new Secret(api.token) });
    const events: JobEvent[] = Array.from({ length: 300 }, (_, seq) => ({ type: 'message', seq, jobId: 'job-7', timestamp: 't', stage: 'provider', text: `e${seq}` }));
    for (const event of events) recorder.record(event, JSON.stringify(event));
    expect(await recorder.close(AbortSignal.timeout(10_000))).toEqual({ stored: 300, dropped: 0 });
    // A retried batch stores nothing twice.
    await call('POST', `/sessions/s-adapter-${run}/chunks`, { jobId: 'job-7', chunks: [{ seq: 3, type: 'message', data: { dup: true }, timestamp: 't' }] });
    const { chunks } = (await (await call('GET', `/sessions/s-adapter-${run}/chunks`)).json()) as { chunks: Array<{ seq: number; data: unknown }> };
    expect(chunks.map((chunk) => chunk.data)).toEqual(events);
  });
});

describe('sessions in the DB API', () => {
  let api: ReferenceDbApi;
  beforeAll(async () => {
    api = await startReferenceDbApi();
  });
  afterAll(async () => api.close());
  let n = 0;
  describeSessionStoreContract({
    name: 'DbApiSessionStore against the reference server',
    async create() {
      const settings = { baseUrl: api.url, requestTimeoutMs: 5000, baseMs: 10, maxMs: 100 };
      return {
        store: new DbApiSessionStore(settings, new MemorySessionStore(), silentLogger),
        target: { sessionId: `db-session-${run}-${++n}`, accessToken: new Secret(api.token) },
        close: async () => undefined,
      };
    },
  });
});
