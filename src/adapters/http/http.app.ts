import type { HttpBindings } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerAuth } from 'hono/bearer-auth';
import { HTTPException } from 'hono/http-exception';
import type { ExecutionUseCase } from '../../application/execution.use-case.js';
import type { JobRegistry } from '../../application/job-registry.js';
import type { JobSlot } from '../../application/job-slot.js';
import type { Readiness } from '../../application/readiness.js';
import type { LoggerPort } from '../../application/ports/logger.port.js';
import type { SessionStorePort } from '../../application/ports/session-store.port.js';
import type { Secret } from '../../domain/secret.js';
import { registerControlRoutes } from './control.routes.js';
import { fail } from './error-response.js';
import { registerExecuteRoute } from './execute.route.js';
import { registerJobRoutes } from './jobs.routes.js';
import { registerSessionRoutes } from './sessions.routes.js';
import { registerDocsRoutes } from './openapi/docs.routes.js';

export interface HttpAppDeps {
  useCase: ExecutionUseCase;
  slot: JobSlot;
  jobs: JobRegistry;
  sessions: SessionStorePort;
  readiness: Readiness;
  /** Awaited before a job's verdict is sent. */
  beforeVerdict?: () => Promise<void> | undefined;
  /** A pooled one-job worker holds a request that finds it busy until this resolves, then answers 503. */
  retired?: () => Promise<void>;
  logger: LoggerPort;
  metrics: { contentType: string; render(): Promise<string> };
  providers: () => Array<{ id: string; available: boolean; version?: string }>;
  /** Sent as X-Worker-Id on every response, so a client behind a balancer knows who served it. */
  workerId: string;
  /** Without one, the worker must listen on loopback only (checked at start). */
  apiToken?: Secret;
  version: string;
  startedAt: number;
  now: () => number;
  maxBodyBytes: number;
  heartbeatMs?: number;
  /** The API reference page's script, to serve it without a CDN. */
  docsScript?: string;
}

// A Response (not a plain message) so that a malformed header is a 401 too, not hono's 400.
const unauthorized = (): Response =>
  Response.json({ error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } }, { status: 401 });

export function createHttpApp(deps: HttpAppDeps): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  const guard = authGuard(deps.apiToken);
  app.use('*', async (c, next) => {
    c.env.outgoing.setHeader('x-worker-id', deps.workerId);
    await next();
  });
  // The body limit is kept by the route, which reads the body from Node's stream.
  app.use('/execute', guard, jsonOnly());
  app.use('/cancel', guard);
  app.use('/jobs/*', guard);
  app.use('/sessions/*', guard);
  registerExecuteRoute(app, deps);
  registerJobRoutes(app, deps);
  registerSessionRoutes(app, deps);
  registerControlRoutes(app, deps);
  registerDocsRoutes(app, deps);
  app.notFound((c) => fail(c, 'NOT_FOUND', 'no such route'));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    deps.logger.error({ err: error }, 'request failed');
    return fail(c, 'INTERNAL', 'internal error');
  });
  return app;
}

function authGuard(token: Secret | undefined): MiddlewareHandler {
  if (!token) return async (_c, next) => next();
  // Hashes of both values compared in constant time, as hono does by default, but with
  // node:crypto: hono's WebCrypto digest is an async hop through the thread pool on every
  // request, a third of a millisecond before the first event. Only the hash is kept.
  const expected = createHash('sha256').update(token.reveal()).digest();
  return bearerAuth({
    verifyToken: (given) => timingSafeEqual(createHash('sha256').update(given).digest(), expected),
    noAuthenticationHeader: { message: unauthorized },
    invalidAuthenticationHeader: { message: unauthorized },
    invalidToken: { message: unauthorized },
  });
}

function jsonOnly(): MiddlewareHandler<{ Bindings: HttpBindings }> {
  return async (c, next) => {
    const type = c.env.incoming.headers['content-type'] ?? '';
    if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
      return fail(c, 'UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json');
    }
    return next();
  };
}
