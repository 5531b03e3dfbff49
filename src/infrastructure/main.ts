import { serve } from '@hono/node-server';
import closeWithGrace from 'close-with-grace';
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobRegistry } from '../application/job-registry.js';
import type { JobSlot } from '../application/job-slot.js';
import type { Readiness } from '../application/readiness.js';
import { Redactor } from '../domain/redactor.js';
import { prepareAgentUser } from './agent-user-startup.js';
import { findClaude, findCodex, findCopilot, findGemini, findOpencode } from './installed-packages.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createContainer } from './container.js';
import { exitCleanlyAfterHangUp } from './hung-up-terminal.js';
import { createLogger } from './logger.js';
import { onSignals } from './signals.js';
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

/**
 * What a load balancer and an operator ask of a worker, and a job's state and events: the
 * control port answers nothing else. It stays open until the worker exits, so a client can read
 * the end of a job there after a pooled worker's job port has closed.
 */
const controlPaths = new Set(['/health', '/ready', '/status', '/metrics']);
const controlAllows = (request: Request): boolean => {
  const { pathname } = new URL(request.url);
  return controlPaths.has(pathname) || (request.method === 'GET' && pathname.startsWith('/jobs/'));
};

function startControlServer(app: Hono<{ Bindings: HttpBindings }>, port: number, hostname: string): Server {
  // The env carries Node's response, which the app's middleware sets headers on.
  const fetch = (request: Request, env: unknown) =>
    controlAllows(request) ? app.fetch(request, env as HttpBindings) : new Response(null, { status: 404 });
  return serve({ fetch, port, hostname }) as Server;
}

/** A configuration the worker cannot run with: said on stderr, exit 2, before any port opens. */
function refuseToStart(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`unified-worker: invalid configuration: ${error.message}\n`);
  process.exit(2);
}

// HAProxy marks a server down when it reads the check's answer, which may come a little after
// the next bytes of the job's response reach it on another connection.
const handoffMarginMs = 50;

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}

function start(): void {
  exitCleanlyAfterHangUp();
  const redactor = new Redactor();
  let config: Config;
  try {
    const from = import.meta.url;
    const clis = { claude: findClaude(from), codex: findCodex(from), gemini: findGemini(from), opencode: findOpencode(from), copilot: findCopilot(from) };
    config = loadConfig(process.env, { cwd: process.cwd(), version, clis });
  } catch (error) {
    refuseToStart(error);
  }
  redactor.add(config.apiToken?.reveal(), config.claude.credentialsJson?.reveal(), config.codex.authJson?.reveal());
  // One job at a time: whatever is logged while it runs, by any adapter, belongs to it.
  let slot: JobSlot | undefined;
  const logger = createLogger(config.logLevel, redactor, { context: () => (slot?.current ? { jobId: slot.current.jobId } : {}) });
  try {
    prepareAgentUser(config, logger);
  } catch (error) {
    refuseToStart(error);
  }
  // The route asks before each job's verdict; retire is defined below, once the server exists.
  let retire: () => Promise<void> = () => Promise.resolve();
  const pooled = config.exitAfterJob && config.handoffMs > 0;
  const container = createContainer(config, logger, redactor, {
    beforeVerdict: () => (config.exitAfterJob ? retire() : undefined),
    ...(pooled && { retired: () => retire() }),
  });
  const app = container.get<Hono<{ Bindings: HttpBindings }>>(Tokens.HttpApp);
  slot = container.get<JobSlot>(Tokens.JobSlot);
  const readiness = container.get<Readiness>(Tokens.Readiness);
  const jobs = container.get<JobRegistry>(Tokens.Jobs);

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host, serverOptions: slowClientLimits(config) }, (info) => {
    logger.info({ host: config.host, port: info.port, version, workerId: config.workerId }, 'listening');
    if (!config.apiToken) logger.warn({ host: config.host }, 'no WORKER_API_TOKEN: listening on loopback only, without authentication');
  }) as Server;
  // Health, readiness, status and metrics answer here from start to exit, whatever the job port does.
  const control = config.controlPort === undefined ? undefined : startControlServer(app, config.controlPort, config.host);
  retire = once(async () => {
    readiness.withdraw();
    if (config.handoffMs > 0) logger.debug({ handoffMs: config.handoffMs }, 'leaving the balancer');
    await readiness.heard(config.handoffMs);
    // The balancer acts on the probe's answer a moment after it arrives.
    if (config.handoffMs > 0) await sleep(handoffMarginMs);
    // A request still sent here now fails to connect, which a balancer retries elsewhere. A
    // worker without a balancer keeps the port for readers of its job until it exits.
    if (pooled) server.close();
  });
  const shutdown = createShutdown({
    server,
    slot,
    logger,
    retire: () => retire(),
    drainMs: config.drainMs,
    graceMs: config.shutdownGraceMs,
    handoffMs: config.handoffMs,
    linger: () => jobs.settled(config.lingerMs),
    lingerMs: config.lingerMs,
    exit: (code) => {
      control?.close();
      // Spilled events are the job's: they go with the worker.
      setTimeout(() => process.exit(code), 1000);
      void jobs.clear().finally(() => process.exit(code));
    },
  });
  if (config.exitAfterJob) slot.onRelease(() => void shutdown('job finished'));
  onSignals(logger, {
    first: (signal) => void shutdown(`signal ${signal}`),
    second: () => shutdown.cancelNow(),
  });
  // Signals are handled above: close-with-grace would exit on a second one without a verdict.
  closeWithGrace({ delay: config.shutdownGraceMs + 1000, logger: false, skip: ['SIGINT', 'SIGTERM', 'SIGHUP'] }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'uncaught error');
    await shutdown(signal ? `signal ${signal}` : 'uncaught error', err ? 1 : 0);
  });
}

start();
