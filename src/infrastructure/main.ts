import { serve } from '@hono/node-server';
import closeWithGrace from 'close-with-grace';
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { chmodSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { JobSlot } from '../application/job-slot.js';
import { Redactor } from '../domain/redactor.js';
import { findClaude, findCodex, findCopilot, findGemini, findOpencode } from './installed-packages.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createContainer } from './container.js';
import { createLogger } from './logger.js';
import { createShutdown } from './shutdown.js';
import { Tokens } from './tokens.js';
import { version } from './version.js';

/**
 * A slow client may not hold a connection without sending its request. Node checks these
 * limits only every connectionsCheckingInterval (30 s by default), so that is shortened too.
 * requestTimeout bounds receiving the request, never the SSE response.
 */
const slowClientLimits = (config: Config) => ({
  headersTimeout: config.headersTimeoutMs,
  requestTimeout: config.requestTimeoutMs,
  connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs / 2),
});

function startHealthServer(app: Hono<{ Bindings: HttpBindings }>, port: number, hostname: string): Server {
  // The env carries Node's response, which the app's middleware sets headers on.
  const fetch = (request: Request, env: unknown) =>
    new URL(request.url).pathname === '/health' ? app.fetch(request, env as HttpBindings) : new Response(null, { status: 404 });
  return serve({ fetch, port, hostname }) as Server;
}

/**
 * With a separate agent user, the roots it must pass through to reach its workspace and its
 * HOME are traversable (not listable) by others; the state under them stays the worker's.
 */
function openPathsForAgent(config: Config): void {
  if (!config.agentUser) return;
  for (const dir of [config.workspaceDir, config.stateDir, join(config.stateDir, 'homes')]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o711);
  }
}

function start(): void {
  const redactor = new Redactor();
  let config: Config;
  try {
    const from = import.meta.url;
    const clis = { claude: findClaude(from), codex: findCodex(from), gemini: findGemini(from), opencode: findOpencode(from), copilot: findCopilot(from) };
    config = loadConfig(process.env, { cwd: process.cwd(), version, clis });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`unified-worker: invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
  redactor.add(config.apiToken?.reveal(), config.claude.credentialsJson?.reveal(), config.codex.authJson?.reveal());
  openPathsForAgent(config);
  // One job at a time: whatever is logged while it runs, by any adapter, belongs to it.
  let slot: JobSlot | undefined;
  const logger = createLogger(config.logLevel, redactor, { context: () => (slot?.current ? { jobId: slot.current.jobId } : {}) });
  const container = createContainer(config, logger, redactor);
  const app = container.get<Hono<{ Bindings: HttpBindings }>>(Tokens.HttpApp);
  slot = container.get<JobSlot>(Tokens.JobSlot);

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host, serverOptions: slowClientLimits(config) }, (info) => {
    logger.info({ host: config.host, port: info.port, version, workerId: config.workerId }, 'listening');
    if (!config.apiToken) logger.warn({ host: config.host }, 'no WORKER_API_TOKEN: listening on loopback only, without authentication');
  }) as Server;

  // An ephemeral worker closes its job port on taking its job, so a load balancer sends no
  // more; the container's health check asks this port instead, which stays open until exit.
  const health = config.healthPort === undefined ? undefined : startHealthServer(app, config.healthPort, config.host);
  const shutdown = createShutdown({
    server,
    slot,
    logger,
    graceMs: config.shutdownGraceMs,
    exit: (code) => {
      health?.close();
      process.exit(code);
    },
  });
  if (config.exitAfterJob) {
    // Closing the listening socket at once makes a load balancer's next connection fail fast
    // and go to another replica, instead of queueing behind a worker that will exit.
    slot.onAcquire(() => server.close());
    slot.onRelease(() => void shutdown('job finished'));
  }
  closeWithGrace({ delay: config.shutdownGraceMs + 1000, logger: false }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'uncaught error');
    await shutdown(signal ? `signal ${signal}` : 'uncaught error', err ? 1 : 0);
  });
}

start();
