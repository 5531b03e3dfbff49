import { DomainError } from '../domain/errors.js';
import type { Result } from '../domain/result.js';
import { Job } from '../domain/job.js';
import { limitItem } from '../domain/item-limits.js';
import { apiVersion, type JobStage } from '../domain/job-event.js';
import type { Redactor } from '../domain/redactor.js';
import type { RepoChanges } from '../domain/repo-changes.js';
import type { Usage } from '../domain/agent-item.js';
import { budgetOf, type JobBudget, type StopReason } from '../domain/budget.js';
import type { SessionSnapshot, WorkInProgress } from '../domain/session.js';
import { admitRequest } from './admission.js';
import { BudgetWatch } from './budget-watch.js';
import type { JobRequest } from './job-request.js';
import type { JobRecord, JobRegistry } from './job-registry.js';
import type { JobLease } from './job-slot.js';
import { JobStream } from './job-stream.js';
import { SessionKeeper } from './session-keeper.js';
import type { ClockPort } from './ports/clock.port.js';
import type { EventLogPort } from './ports/event-log.port.js';
import type { EventSinkPort } from './ports/event-sink.port.js';
import type { JobNotifierPort } from './ports/job-notifier.port.js';
import type { LoggerPort } from './ports/logger.port.js';
import type { MetricsPort } from './ports/metrics.port.js';
import type { PriceListPort } from './ports/price-list.port.js';
import { WorkspaceLimit, type WorkspaceLimitSettings } from './workspace-limit.js';
import type { JobRecorder, PersistencePort, PersistenceReport } from './ports/persistence.port.js';
import type { ProviderOutcome, ProviderPort } from './ports/provider.port.js';
import type { RepoCheckout, RepoPort } from './ports/repo.port.js';
import type { SessionStorePort } from './ports/session-store.port.js';
import type { WorkspacePort } from './ports/workspace.port.js';
import { ProviderRegistry } from './provider-registry.js';

export interface ExecutionSettings {
  workerId: string;
  defaultJobMs: number;
  maxJobMs: number;
  /** What a job may spend when its request says nothing, and the most a request may ask for. */
  budgets: { defaults: JobBudget; ceilings: JobBudget };
  /** How long the database may take to take the last events once the job has ended. */
  flushTimeoutMs: number;
  /** The longest text an item may carry; longer ones are cut with a marker. */
  maxItemChars: number;
  /** At most this many events a second per job, texts merged beyond it; 0 for no limit. */
  maxEventsPerSecond: number;
  workspace: WorkspaceLimitSettings;
  /** The most uncommitted work kept with a session, as a git diff. */
  maxWorkBytes: number;
  /** How long telling the webhook may take, every retry included. */
  notifyDeadlineMs: number;
}

export interface ExecutionDeps {
  providers: ProviderRegistry;
  workspace: WorkspacePort;
  repo: RepoPort;
  sessions: SessionStorePort;
  persistence: PersistencePort;
  clock: ClockPort;
  logger: LoggerPort;
  metrics: MetricsPort;
  redactor: Redactor;
  jobs: JobRegistry;
  eventLogs: EventLogPort;
  notifier: JobNotifierPort;
  prices: PriceListPort;
  settings: ExecutionSettings;
}

interface Workplace {
  directory: string;
  checkout?: RepoCheckout;
}

interface JobContext {
  job: Job;
  request: JobRequest;
  provider: ProviderPort;
  stream: JobStream;
  signal: AbortSignal;
  budget: BudgetWatch;
  /** Saves the session, as the job goes and at its end, with the uncommitted work. */
  keeper: SessionKeeper;
  /** What a failed job can still be continued from. */
  progress: { sessionId: string | null; usage: Usage };
  /** Why it stopped, for the metrics: `finished`, a budget, `usage_limit` or `failed`. */
  stop: { reason: StopReason | 'usage_limit' | 'failed' };
}

/** Runs one job: workspace, repository, session, assistant, then exactly one terminal event. */
export class ExecutionUseCase {
  constructor(private readonly deps: ExecutionDeps) {}

  /** Checks what only the worker knows (providers, credentials, limits) before a stream starts. */
  admit(request: JobRequest): Result<JobRequest, DomainError> {
    return admitRequest(request, this.deps.providers, this.deps.repo, this.deps.persistence, this.deps.notifier, this.deps.workspace, this.deps.settings);
  }

  async execute(request: JobRequest, sink: EventSinkPort, lease: JobLease): Promise<void> {
    const { clock, settings } = this.deps;
    const provider = this.deps.providers.get(request.provider);
    const job = Job.accept(clock.newId(), provider.id, clock.now());
    lease.describe({ jobId: job.id, provider: job.provider, startedAt: job.startedAt });
    const secrets = [request.accessToken, request.github?.accessToken, request.database?.accessToken, request.webhook?.secret];
    this.deps.redactor.add(...secrets.map((secret) => secret?.reveal()));
    const recorder = this.deps.persistence.open(job.id, request.database, { webhook: request.webhook });
    this.deps.metrics.watchBacklog(() => recorder.backlog());
    const record = this.deps.jobs.open(job, this.deps.eventLogs.open(job.id), (reason) => lease.abort(reason), {
      databaseSessionId: request.database?.sessionId,
      detached: request.onDisconnect === 'continue',
    });
    const pacing = { perSecond: settings.maxEventsPerSecond, maxItemChars: settings.maxItemChars };
    const stream = new JobStream(job.id, sink, recorder, record, this.deps.redactor, clock, pacing);
    const deadline = this.#deadline(request.timeoutMs ?? settings.defaultJobMs);
    const limit = new WorkspaceLimit(this.deps.workspace, settings.workspace);
    const budget = this.#budgetOf(request, provider);
    const signal = AbortSignal.any([lease.signal, deadline.signal, limit.signal, budget.signal]);
    const keeper = new SessionKeeper(this.deps, job.id, request.database);
    const progress: JobContext['progress'] = { sessionId: null, usage: { inputTokens: 0, outputTokens: 0 } };
    const stop: JobContext['stop'] = { reason: 'failed' };
    const context: JobContext = { job, request, provider, stream, signal, budget, keeper, progress, stop };
    try {
      await stream.emit({ type: 'connected', provider: provider.id, workerId: settings.workerId, apiVersion });
      // After the client's first byte: a log line is a synchronous write.
      this.deps.logger.info({ jobId: job.id, provider: provider.id }, 'job started');
      this.deps.metrics.jobStarted(provider.id);
      job.moveTo('preparing');
      const resume = await this.#loadSession(context);
      const place = await this.#prepareWorkdir(context, resume);
      await limit.check(place.directory);
      limit.watch(place.directory);
      job.moveTo('running');
      const outcome = await this.#runAssistant(context, place, resume);
      const changes = place.checkout && (await this.#publish(context, place.checkout));
      await keeper.keepWork();
      job.moveTo('completed');
      const stopReason = (stop.reason = outcome.stopReason ?? 'finished');
      const persistence = await this.#flush(context, recorder);
      await stream.emit({
        type: 'completed',
        ...outcome,
        stopReason,
        durationMs: clock.now() - job.startedAt,
        ...(changes && { changes }),
        ...(persistence && { persistence }),
      });
    } catch (thrown) {
      await keeper.keepWork();
      await this.#fail(context, signal.aborted ? signal.reason : thrown, await this.#flush(context, recorder));
    }
    try {
      await this.#notify(context, record);
    } finally {
      deadline.clear();
      limit.stop();
      const stored = await recorder.close(AbortSignal.timeout(settings.flushTimeoutMs));
      this.deps.metrics.watchBacklog(undefined);
      this.deps.redactor.remove(...secrets.map((secret) => secret?.reveal()));
      if (!request.workspace) await this.#release(job.id);
      const { failure } = job.snapshot();
      const durationMs = clock.now() - job.startedAt;
      this.deps.logger.info({ jobId: job.id, status: job.status, failure, durationMs }, 'job ended');
      this.deps.metrics.jobEnded(provider.id, failure ?? job.status, durationMs);
      this.deps.metrics.jobStopped(provider.id, stop.reason);
      this.deps.metrics.eventsCoalesced(provider.id, stream.coalesced);
      if (request.database) this.deps.metrics.persistence(stored);
    }
  }

  async #prepareWorkdir({ job, request, stream, signal, keeper }: JobContext, resume: SessionSnapshot | undefined): Promise<Workplace> {
    const workspace = await this.deps.workspace.prepare(request.workspace, job.id);
    await this.#stage(job, stream, 'workspace', 'workspace ready', { workspace });
    if (!request.github) return { directory: workspace };
    // A resumed job continues on the branch its session pushed, on whichever replica it lands.
    const spec = { ...request.github, branch: resume?.session.branch ?? request.github.branch };
    await this.#stage(job, stream, 'repository', 'fetching the repository', { repoUrl: spec.repoUrl, branch: spec.branch });
    const started = this.deps.clock.now();
    const checkout = await this.deps.repo.prepare(
      spec,
      workspace,
      (progress) => void stream.emit({ type: 'github_pull_progress', ...progress }),
      signal,
    );
    const tookMs = this.deps.clock.now() - started;
    this.deps.metrics.repoPrepared(tookMs);
    this.deps.logger.info({ jobId: job.id, stage: 'repository', branch: checkout.branch, baseCommit: checkout.baseCommit, tookMs }, 'repository ready');
    keeper.workIn(checkout);
    if (resume?.work) await this.#restoreWork(stream, checkout, resume.work, signal);
    return { directory: checkout.directory, checkout };
  }

  /** The uncommitted work of the session's last job, back where it was; a conflict is told, not fatal. */
  async #restoreWork(stream: JobStream, checkout: RepoCheckout, work: WorkInProgress, signal: AbortSignal): Promise<void> {
    try {
      await this.deps.repo.restoreWork(checkout, work, signal);
      await stream.emit({ type: 'message', stage: 'repository', text: `restored the session's uncommitted work (${work.bytes} bytes)` });
    } catch (error) {
      if (signal.aborted) throw error;
      const reason = DomainError.from(error).message;
      await stream.emit({ type: 'message', stage: 'repository', text: `the session's uncommitted work was not restored: ${reason}` });
    }
  }

  async #publish({ job, request, stream, signal }: JobContext, checkout: RepoCheckout): Promise<RepoChanges> {
    const pushing = request.github?.push;
    await this.#stage(job, stream, 'publish', pushing ? `committing and pushing ${pushing.branch}` : 'collecting the changes');
    const changes = await this.deps.repo.publish(request.github!, checkout, signal);
    const { branch, headCommit, pushed, filesChanged } = changes;
    this.deps.logger.info({ jobId: job.id, stage: 'publish', branch, headCommit, pushed, filesChanged: filesChanged.length }, 'changes published');
    return changes;
  }

  /** A stage's progress message, also logged so an operator's logs say where each job is. */
  async #stage(job: Job, stream: JobStream, stage: JobStage, text: string, details: Record<string, unknown> = {}): Promise<void> {
    this.deps.logger.info({ jobId: job.id, stage, ...details }, text);
    await stream.emit({ type: 'message', stage, text });
  }

  async #loadSession({ job, request, provider, stream, signal }: JobContext): Promise<SessionSnapshot | undefined> {
    if (!request.resumeSessionId) return undefined;
    const snapshot = await this.deps.sessions.load(request.resumeSessionId, request.database, signal);
    if (!snapshot || snapshot.session.provider !== provider.id) {
      // Where sessions live decides where they can be resumed: say so.
      const where = request.database
        ? `the DB API holds none for database session ${request.database.sessionId}`
        : 'a session saved without a database stays on the replica that ran it; send the same `database` to resume it on any replica';
      throw new DomainError('SESSION_NOT_FOUND', `no ${provider.id} session ${request.resumeSessionId} to resume: ${where}`);
    }
    await this.#stage(job, stream, 'session', `resuming session ${request.resumeSessionId}`, { artifacts: snapshot.artifacts.length, work: snapshot.work !== undefined });
    return snapshot;
  }

  async #runAssistant(
    { job, request, provider, stream, signal, budget, keeper, progress }: JobContext,
    place: Workplace,
    resume: SessionSnapshot | undefined,
  ): Promise<ProviderOutcome> {
    const branch = request.github?.push?.branch ?? place.checkout?.branch;
    const { version } = provider.availability();
    await this.#stage(job, stream, 'provider', `starting ${provider.id}`, { provider: provider.id, version, resume: resume !== undefined });
    let sessionId: string | null = resume?.session.providerSessionId ?? null;
    progress.sessionId = sessionId;
    let outcome: ProviderOutcome | undefined;
    let firstItem = true;
    const run = provider.run(
      {
        jobId: job.id,
        prompt: request.userRequest,
        workdir: place.directory,
        accessToken: request.accessToken,
        options: request.options,
        ...(provider.capabilities.nativeMaxTurns && budget.budget.maxTurns !== undefined && { maxTurns: budget.budget.maxTurns }),
        resume,
        saveSession: (providerSessionId, artifacts) => keeper.save({ provider: provider.id, providerSessionId, branch }, artifacts),
        checkpoints: (providerSessionId, exportNow) => keeper.follow({ provider: provider.id, providerSessionId, ...(branch && { branch }) }, exportNow),
      },
      signal,
    );
    // A batch is what one read of the assistant's output held; its events go out one by one.
    for await (const batch of run) for (const event of batch) {
      switch (event.type) {
        case 'item': {
          if (event.item.kind === 'session') progress.sessionId = sessionId = event.item.sessionId;
          if (event.item.kind === 'tool_result') keeper.toolRan();
          if (event.item.kind === 'usage') {
            event.item = await budget.pricedSoFar(event.item);
            const { kind: _usage, ...usage } = event.item;
            progress.usage = usage;
          }
          budget.observe(event.item);
          if (firstItem) {
            firstItem = false;
            this.deps.metrics.firstAssistantItem(provider.id, this.deps.clock.now() - job.startedAt);
          }
          const item = limitItem(event.item, this.deps.settings.maxItemChars);
          // The raw line carries the same texts uncut, so a cut item goes without it.
          const sent = stream.emit(
            request.includeRaw && event.raw !== undefined && item === event.item
              ? { type: 'assistant_message', sessionId, item, raw: event.raw }
              : { type: 'assistant_message', sessionId, item },
          );
          // Awaited only when the stream must wait: a resolved await still costs a turn per event.
          if (sent) await sent;
          break;
        }
        case 'notice':
          await stream.emit({ type: 'message', stage: 'provider', text: event.text });
          break;
        case 'finished':
          outcome = event.outcome;
          break;
        case 'exit':
          this.deps.metrics.providerExited(provider.id, event.signal ?? String(event.code));
          if (event.leftovers > 0) this.deps.logger.warn({ jobId: job.id, killed: event.leftovers }, 'the agent left processes running; killed');
          break;
      }
    }
    if (!outcome) throw new DomainError('PROVIDER_FAILED', `${provider.id} ended without a result`);
    // The job's total is the last usage seen, priced like every usage item before it.
    return { ...outcome, usage: await budget.priced(outcome.usage) };
  }

  async #fail({ job, stream, progress, stop }: JobContext, thrown: unknown, persistence: PersistenceReport | undefined): Promise<void> {
    const error = DomainError.from(thrown);
    stop.reason = budgetOf(error) ?? (error.code === 'USAGE_LIMIT' ? 'usage_limit' : 'failed');
    if (error.code === 'INTERNAL') this.deps.logger.error({ jobId: job.id, err: thrown }, 'job failed unexpectedly');
    job.fail(error.code);
    await stream.emit({
      type: 'error',
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...error.details,
      ...(progress.sessionId && { sessionId: progress.sessionId }),
      usage: progress.usage,
      ...(persistence && { persistence }),
    });
  }

  /** Tells the request's webhook of the job's end; a failed delivery is the notifier's to log and count. */
  async #notify({ request, job }: JobContext, record: JobRecord): Promise<void> {
    const terminal = record.state().terminal;
    if (!request.webhook || !terminal) return;
    try {
      await this.deps.notifier.notify(request.webhook, terminal, AbortSignal.timeout(this.deps.settings.notifyDeadlineMs));
    } catch (error) {
      this.deps.logger.warn({ jobId: job.id, error: DomainError.from(error).message }, 'webhook not delivered');
    }
  }

  /** A fresh directory goes with its job, whose session is saved by now; a named workspace keeps its files. */
  async #release(jobId: string): Promise<void> {
    try {
      await this.deps.workspace.release(jobId);
    } catch (error) {
      this.deps.logger.warn({ jobId, err: error }, 'workspace not removed');
    }
  }

  /** Before the terminal event, so it can say what the database missed; bounded by flushTimeoutMs. */
  async #flush({ request }: JobContext, recorder: JobRecorder): Promise<PersistenceReport | undefined> {
    if (!request.database) return undefined;
    return recorder.flush(AbortSignal.timeout(this.deps.settings.flushTimeoutMs));
  }

  /** The request's budgets within the worker's defaults; a CLI that stops at max turns itself is left to. */
  #budgetOf(request: JobRequest, provider: ProviderPort): BudgetWatch {
    const { defaults } = this.deps.settings.budgets;
    const budget: JobBudget = {
      maxTurns: request.budget.maxTurns ?? defaults.maxTurns,
      maxCostUsd: request.budget.maxCostUsd ?? defaults.maxCostUsd,
      maxTokens: request.budget.maxTokens ?? defaults.maxTokens,
    };
    return new BudgetWatch(budget, provider.capabilities.nativeMaxTurns === true, this.deps.prices, request.options.model);
  }

  #deadline(ms: number): { signal: AbortSignal; clear(): void } {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DomainError('TIMEOUT', `the job ran longer than ${ms} ms`, { details: { budget: 'time', limit: ms, used: ms } })),
      ms,
    );
    return { signal: controller.signal, clear: () => clearTimeout(timer) };
  }
}
