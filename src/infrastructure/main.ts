import { serve } from '@hono/node-server';
import closeWithGrace from 'close-with-grace';
import type { Hono } from 'hono';
import type { Server } from 'node:http';
import type { JobSlot } from '../application/job-slot.js';
import { Redactor } from '../domain/redactor.js';
import { findClaudeExecutable } from './claude-executable.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createContainer } from './container.js';
import { createLogger } from './logger.js';
import { createShutdown } from './shutdown.js';
import { Tokens } from './tokens.js';
import { version } from './version.js';

function start(): void {
  const redactor = new Redactor();
  let config: Config;
  try {
    config = loadConfig(process.env, { cwd: process.cwd(), version, claudeExecutable: findClaudeExecutable(import.meta.url) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`unified-worker: invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
  redactor.add(config.apiToken?.reveal(), config.claude.credentialsJson?.reveal());
  const logger = createLogger(config.logLevel, redactor);
  const container = createContainer(config, logger, redactor);
  const app = container.get<Hono>(Tokens.HttpApp);
  const slot = container.get<JobSlot>(Tokens.JobSlot);

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info({ host: config.host, port: info.port, version, workerId: config.workerId }, 'listening');
    if (!config.apiToken) logger.warn({ host: config.host }, 'no WORKER_API_TOKEN: listening on loopback only, without authentication');
  }) as Server;
  // Slow clients may not hold a connection open without sending a request.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  const shutdown = createShutdown({ server, slot, logger, graceMs: config.shutdownGraceMs, exit: (code) => process.exit(code) });
  if (config.exitAfterJob) slot.onRelease(() => void shutdown('job finished'));
  closeWithGrace({ delay: config.shutdownGraceMs + 1000, logger: false }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'uncaught error');
    await shutdown(signal ? `signal ${signal}` : 'uncaught error', err ? 1 : 0);
  });
}

start();
