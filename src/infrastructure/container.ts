import { join } from 'node:path';
import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { Container, ContainerModule } from 'inversify';
import { ExecutionUseCase } from '../application/execution.use-case.js';
import { JobRegistry } from '../application/job-registry.js';
import { JobSlot } from '../application/job-slot.js';
import type { EventLogPort } from '../application/ports/event-log.port.js';
import type { JobNotifierPort } from '../application/ports/job-notifier.port.js';
import { Readiness } from '../application/readiness.js';
import type { ClockPort } from '../application/ports/clock.port.js';
import type { LoggerPort } from '../application/ports/logger.port.js';
import type { PersistencePort } from '../application/ports/persistence.port.js';
import type { RepoPort } from '../application/ports/repo.port.js';
import type { SessionStorePort } from '../application/ports/session-store.port.js';
import type { WorkspacePort } from '../application/ports/workspace.port.js';
import { ProviderRegistry } from '../application/provider-registry.js';
import { Redactor } from '../domain/redactor.js';
import { GenaiPriceList } from '../adapters/pricing/index.js';
import { SpillingEventLogs } from '../adapters/event-log/index.js';
import { createHttpApp } from '../adapters/http/index.js';
import { DbApiSessionStore, HttpDbApiPersistence, NoopPersistence } from '../adapters/persistence/index.js';
import { ClaudeCodeProvider } from '../adapters/providers/claude-code/index.js';
import { startCredentialProxy } from '../adapters/credential-proxy/index.js';
import { CodexProvider } from '../adapters/providers/codex/index.js';
import { CopilotProvider } from '../adapters/providers/copilot/index.js';
import { CursorProvider } from '../adapters/providers/cursor/index.js';
import { GeminiProvider } from '../adapters/providers/gemini/index.js';
import { OpencodeProvider } from '../adapters/providers/opencode/index.js';
import { SimpleGitRepo } from '../adapters/repo/index.js';
import { FileSessionStore } from '../adapters/sessions/index.js';
import { SystemClock } from '../adapters/system/index.js';
import { PrometheusMetrics } from '../adapters/metrics/index.js';
import { FsWorkspace } from '../adapters/workspace/index.js';
import { defaultWebhookDeliverySettings, StandardWebhookNotifier } from '../adapters/webhook/index.js';
import type { Config } from './config.js';
import { findDocsScript } from './installed-packages.js';
import { Tokens } from './tokens.js';

/** Adapters chosen for this worker; the only place that names concrete classes. */
const adapters = new ContainerModule(({ bind }) => {
  bind<ClockPort>(Tokens.Clock).toConstantValue(new SystemClock());
  bind<PrometheusMetrics>(Tokens.Metrics).toConstantValue(new PrometheusMetrics());
  bind<ProviderRegistry>(Tokens.Providers).toResolvedValue(
    (config: Config) => {
      const host = { homesDir: join(config.stateDir, 'homes'), path: config.path, lang: config.lang, agentUser: config.agentUser };
      return new ProviderRegistry([
        new ClaudeCodeProvider({ ...config.claude, ...host, credentialProxy: config.credentialProxy ? startCredentialProxy : undefined }),
        new CodexProvider({ ...config.codex, ...host, credentialProxy: config.credentialProxy ? startCredentialProxy : undefined }),
        new GeminiProvider({ ...config.gemini, ...host }),
        new OpencodeProvider({ ...config.opencode, ...host }),
        new CursorProvider({ ...config.cursor, ...host }),
        new CopilotProvider({ ...config.copilot, cacheDir: config.copilot.cacheDir ?? join(config.stateDir, 'cache', 'copilot'), ...host }),
      ]);
    },
    [Tokens.Config],
  );
  bind<EventLogPort>(Tokens.EventLogs).toResolvedValue(
    (config: Config) => new SpillingEventLogs({ dir: join(config.stateDir, 'jobs'), ...config.eventLog }),
    [Tokens.Config],
  );
  bind<JobNotifierPort>(Tokens.Notifier).toResolvedValue(
    (config: Config, logger: LoggerPort, metrics: PrometheusMetrics) => new StandardWebhookNotifier({ ...defaultWebhookDeliverySettings, ...config.webhook }, logger, metrics),
    [Tokens.Config, Tokens.Logger, Tokens.Metrics],
  );
  bind<WorkspacePort>(Tokens.Workspace).toResolvedValue((config: Config) => new FsWorkspace(config.workspaceDir), [Tokens.Config]);
  bind<SessionStorePort>(Tokens.Sessions).toResolvedValue(
    (config: Config, logger: LoggerPort) => {
      const local = new FileSessionStore(join(config.stateDir, 'sessions'), { retentionMs: config.sessionRetentionMs, logger });
      // Bound at start: sessions that expired while the worker was down go now, not at the first job's end.
      void local.sweep();
      return config.database ? new DbApiSessionStore(config.database, local, logger) : local;
    },
    [Tokens.Config, Tokens.Logger],
  );
  bind<RepoPort>(Tokens.Repo).toResolvedValue(
    (config: Config) =>
      new SimpleGitRepo({ ...config.git, path: config.path, stateDir: config.stateDir, progressIntervalMs: 100 }),
    [Tokens.Config],
  );
  bind<PersistencePort>(Tokens.Persistence).toResolvedValue(
    (config: Config, logger: LoggerPort) =>
      config.database ? new HttpDbApiPersistence(config.database, logger) : new NoopPersistence(),
    [Tokens.Config, Tokens.Logger],
  );
});

/** What the process around the app does at points of a job's life. */
export interface LifecycleHooks {
  /** Awaited before a job's verdict is sent (a one-job worker leaves the balancer then). */
  beforeVerdict?: () => Promise<void> | undefined;
  /** Set in a pooled one-job worker: resolves once it has left the balancer's rotation. */
  retired?: () => Promise<void>;
}

const application = (hooks: LifecycleHooks) => new ContainerModule(({ bind }) => {
  bind<JobSlot>(Tokens.JobSlot).toResolvedValue((config: Config) => new JobSlot({ singleUse: config.exitAfterJob }), [Tokens.Config]);
  bind<JobRegistry>(Tokens.Jobs).toResolvedValue(
    (config: Config) => new JobRegistry({ retentionMs: config.jobRetention.ms, maxRetained: config.jobRetention.max }),
    [Tokens.Config],
  );
  bind<Readiness>(Tokens.Readiness).toResolvedValue((slot: JobSlot) => new Readiness(() => !slot.retiring), [Tokens.JobSlot]);
  bind<ExecutionUseCase>(Tokens.ExecutionUseCase).toResolvedValue(
    (config: Config, providers: ProviderRegistry, workspace: WorkspacePort, repo: RepoPort, sessions: SessionStorePort,
      persistence: PersistencePort, clock: ClockPort, logger: LoggerPort, redactor: Redactor, metrics: PrometheusMetrics,
      jobs: JobRegistry, eventLogs: EventLogPort, notifier: JobNotifierPort) =>
      new ExecutionUseCase({
        providers, workspace, repo, sessions, persistence, clock, logger, redactor, metrics, jobs, eventLogs, notifier,
        prices: new GenaiPriceList(),
        settings: {
          workerId: config.workerId,
          defaultJobMs: config.defaultJobMs,
          maxJobMs: config.maxJobMs,
          budgets: config.budgets,
          flushTimeoutMs: config.flushTimeoutMs,
          maxItemChars: config.maxItemChars,
          maxEventsPerSecond: config.maxEventsPerSecond,
          workspace: config.workspaceLimit,
          maxWorkBytes: config.maxWorkBytes,
          notifyDeadlineMs: config.webhook.deadlineMs,
        },
      }),
    [Tokens.Config, Tokens.Providers, Tokens.Workspace, Tokens.Repo, Tokens.Sessions, Tokens.Persistence, Tokens.Clock, Tokens.Logger,
      Tokens.Redactor, Tokens.Metrics, Tokens.Jobs, Tokens.EventLogs, Tokens.Notifier],
  );
  bind<Hono<{ Bindings: HttpBindings }>>(Tokens.HttpApp).toResolvedValue(
    (config: Config, useCase: ExecutionUseCase, slot: JobSlot, readiness: Readiness, logger: LoggerPort, clock: ClockPort, metrics: PrometheusMetrics,
      registry: ProviderRegistry, jobs: JobRegistry, sessions: SessionStorePort) => {
      // Installed CLIs do not change while a worker runs: looked up once.
      const providers = registry.availability();
      return createHttpApp({
        useCase, slot, jobs, sessions, readiness, logger, metrics,
        providers: () => providers,
        beforeVerdict: hooks.beforeVerdict,
        retired: hooks.retired,
        workerId: config.workerId,
        apiToken: config.apiToken,
        version: config.version,
        startedAt: clock.now(),
        now: () => clock.now(),
        maxBodyBytes: 1024 * 1024,
        heartbeatMs: config.heartbeatMs,
        docsScript: findDocsScript(import.meta.url),
      });
    },
    [Tokens.Config, Tokens.ExecutionUseCase, Tokens.JobSlot, Tokens.Readiness, Tokens.Logger, Tokens.Clock, Tokens.Metrics, Tokens.Providers, Tokens.Jobs, Tokens.Sessions],
  );
});

export function createContainer(config: Config, logger: LoggerPort, redactor: Redactor, hooks: LifecycleHooks = {}): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind<Config>(Tokens.Config).toConstantValue(config);
  container.bind<LoggerPort>(Tokens.Logger).toConstantValue(logger);
  container.bind<Redactor>(Tokens.Redactor).toConstantValue(redactor);
  container.load(adapters, application(hooks));
  return container;
}
