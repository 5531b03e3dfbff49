import { DomainError } from '../domain/errors.js';
import type { Result } from '../domain/result.js';
import { Job } from '../domain/job.js';
import { limitItem } from '../domain/item-limits.js';
import { apiVersion } from '../domain/job-event.js';
import type { Redactor } from '../domain/redactor.js';
import type { RepoChanges } from '../domain/repo-changes.js';
import type { Usage } from '../domain/agent-item.js';
import type { Session, SessionSnapshot, WorkInProgress } from '../domain/session.js';
import { admitRequest } from './admission.js';
import type { JobRequest } from './job-request.js';
import type { JobRecord, JobRegistry } from './job-registry.js';
import type { JobLease } from './job-slot.js';
import { JobStream } from './job-stream.js';
import type { ClockPort } from './ports/clock.port.js';
import type { EventLogPort } from './ports/event-log.port.js';
import type { EventSinkPort } from './ports/event-sink.port.js';
import type { JobNotifierPort } from './ports/job-notifier.port.js';
import type { LoggerPort } from './ports/logger.port.js';
import type { MetricsPort } from './ports/metrics.port.js';
import { WorkspaceLimit, type WorkspaceLimitSettings } from './workspace-limit.js';
import type { JobRecorder, PersistencePort, PersistenceReport, PersistenceTarget } from './ports/persistence.port.js';
import type { ProviderOutcome, ProviderPort } from './ports/provider.port.js';
import type { RepoCheckout, RepoPort } from './ports/repo.port.js';
import type { SessionStorePort } from './ports/session-store.port.js';
import type { WorkspacePort } from './ports/workspace.port.js';
import { ProviderRegistry } from './provider-registry.js';

export interface ExecutionSettings {
  workerId: string;
  defaultJobMs: number;
  maxJobMs: number;
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
  /** What a failed job can still be continued from. */
  progress: {
    sessionId: string | null;
    usage: Usage;
    place?: Workplace;
    snapshot?: SessionSnapshot;
    target?: PersistenceTarget;
    /** The session saved mid-job, one save at a time; none starts once the run has ended. */
    checkpoint?: { exportNow: () => Promise<SessionSnapshot['artifacts']>; session: Session; running?: Promise<void>; again?: boolean; over?: boolean };
  };
}

// How long after a tool's result the session is saved; results in between share one save.
const checkpointDelayMs = 500;

/** Runs one job: workspace, repository, session, assistant, then exactly one terminal event. */
export class ExecutionUseCase {
  constructor(private readonly deps: ExecutionDeps) {}

  /** Checks what only the worker knows (providers, credentials, limits) before a stream starts. */
  admit(request: JobRequest): Result<JobRequest, DomainError> {
    return admitRequest(request, this.deps.providers, this.deps.repo, this.deps.persistence, this.deps.notifier, this.deps.settings);
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
    const signal = AbortSignal.any([lease.signal, deadline.signal, limit.signal]);
    const progress: JobContext['progress'] = { sessionId: null, usage: { inputTokens: 0, outputTokens: 0 } };
    const context: JobContext = { job, request, provider, stream, signal, progress };
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
      await this.#keepWork(context);
      job.moveTo('completed');
      const persistence = await this.#flush(context, recorder);
      await stream.emit({
        type: 'completed',
        ...outcome,
        durationMs: clock.now() - job.startedAt,
        ...(changes && { changes }),
        ...(persistence && { persistence }),
      });
    } catch (thrown) {
      await this.#keepWork(context);
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
      const { failure } = job.snapshot();
      const durationMs = clock.now() - job.startedAt;
      this.deps.logger.info({ jobId: job.id, status: job.status, failure, durationMs }, 'job ended');
      this.deps.metrics.jobEnded(provider.id, failure ?? job.status, durationMs);
      this.deps.metrics.eventsCoalesced(provider.id, stream.coalesced);
      if (request.database) this.deps.metrics.persistence(stored);
    }
  }

  async #prepareWorkdir({ job, request, stream, signal, progress }: JobContext, resume: SessionSnapshot | undefined): Promise<Workplace> {
    const workspace = await this.deps.workspace.prepare(request.workspace, job.id);
    await stream.emit({ type: 'message', stage: 'workspace', text: 'workspace ready' });
    if (!request.github) return { directory: workspace };
    // A resumed job continues on the branch its session pushed, on whichever replica it lands.
    const spec = { ...request.github, branch: resume?.session.branch ?? request.github.branch };
    await stream.emit({ type: 'message', stage: 'repository', text: 'fetching the repository' });
    const started = this.deps.clock.now();
    const checkout = await this.deps.repo.prepare(
      spec,
      workspace,
      (progress) => void stream.emit({ type: 'github_pull_progress', ...progress }),
      signal,
    );
    this.deps.metrics.repoPrepared(this.deps.clock.now() - started);
    progress.place = { directory: checkout.directory, checkout };
    if (resume?.work) await this.#restoreWork(stream, checkout, resume.work, signal);
    return progress.place;
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

  /**
   * Saves the session again with the workspace's uncommitted changes, so that a resume on any
   * replica finds the files as this job left them. Bounded by maxWorkBytes; never fails the job.
   */
  async #keepWork({ job, progress }: JobContext): Promise<void> {
    const checkout = progress.place?.checkout;
    if (!checkout || !progress.snapshot) return;
    try {
      const work = await this.#work(checkout, AbortSignal.timeout(this.deps.settings.flushTimeoutMs));
      if (!work) return;
      const snapshot = { ...progress.snapshot, work, savedAt: this.deps.clock.now() };
      await this.deps.sessions.save(snapshot, progress.target, AbortSignal.timeout(this.deps.settings.flushTimeoutMs));
    } catch (error) {
      this.deps.logger.warn({ jobId: job.id, error: DomainError.from(error).message }, 'uncommitted work not kept');
    }
  }

  async #publish({ request, stream, signal }: JobContext, checkout: RepoCheckout): Promise<RepoChanges> {
    const pushing = request.github?.push;
    await stream.emit({
      type: 'message',
      stage: 'publish',
      text: pushing ? `committing and pushing ${pushing.branch}` : 'collecting the changes',
    });
    return this.deps.repo.publish(request.github!, checkout, signal);
  }

  async #loadSession({ request, provider, stream, signal }: JobContext): Promise<SessionSnapshot | undefined> {
    if (!request.resumeSessionId) return undefined;
    const snapshot = await this.deps.sessions.load(request.resumeSessionId, request.database, signal);
    if (!snapshot || snapshot.session.provider !== provider.id) {
      throw new DomainError('SESSION_NOT_FOUND', `no ${provider.id} session ${request.resumeSessionId} to resume`);
    }
    await stream.emit({ type: 'message', stage: 'session', text: `resuming session ${request.resumeSessionId}` });
    return snapshot;
  }

  async #runAssistant(
    { job, request, provider, stream, signal, progress }: JobContext,
    place: Workplace,
    resume: SessionSnapshot | undefined,
  ): Promise<ProviderOutcome> {
    const branch = request.github?.push?.branch ?? place.checkout?.branch;
    await stream.emit({ type: 'message', stage: 'provider', text: `starting ${provider.id}` });
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
        resume,
        saveSession: async (providerSessionId, artifacts) => {
          // The last save wins: a checkpoint still running must not land after it.
          if (progress.checkpoint) progress.checkpoint.over = true;
          await progress.checkpoint?.running;
          await this.#saveSession({ provider: provider.id, providerSessionId, branch }, artifacts, request.database, progress);
        },
        checkpoints: (providerSessionId, exportNow) => {
          // Only a database outlives the replica; the replica's own store dies with it.
          if (request.database) progress.checkpoint = { exportNow, session: { provider: provider.id, providerSessionId, ...(branch && { branch }) } };
        },
      },
      signal,
    );
    // A batch is what one read of the assistant's output held; its events go out one by one.
    for await (const batch of run) for (const event of batch) {
      switch (event.type) {
        case 'item': {
          if (event.item.kind === 'session') progress.sessionId = sessionId = event.item.sessionId;
          // A tool has run: the workspace and the transcript have moved on, worth saving.
          if (event.item.kind === 'tool_result') this.#checkpoint(job.id, progress, request.database);
          if (event.item.kind === 'usage') progress.usage = { inputTokens: event.item.inputTokens, outputTokens: event.item.outputTokens, ...(event.item.costUsd !== undefined && { costUsd: event.item.costUsd }) };
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
    return outcome;
  }

  /** Saves the session as it stands, with the uncommitted work, while the job goes on; never waits the stream. */
  #checkpoint(jobId: string, progress: JobContext['progress'], target: PersistenceTarget | undefined): void {
    const checkpoint = progress.checkpoint;
    if (!checkpoint || checkpoint.over) return;
    if (checkpoint.running) {
      checkpoint.again = true;
      return;
    }
    checkpoint.running = (async () => {
      // The CLI reports a tool's result before its transcript has it: give the transcript a moment.
      await new Promise((resolve) => setTimeout(resolve, checkpointDelayMs));
      do {
        checkpoint.again = false;
        try {
          const signal = AbortSignal.timeout(this.deps.settings.flushTimeoutMs);
          const artifacts = (await checkpoint.exportNow()).map((artifact) => ({ ...artifact, content: this.deps.redactor.json(artifact.content) }));
          const checkout = progress.place?.checkout;
          const work = checkout && (await this.#work(checkout, signal));
          if (checkpoint.over) return;
          const snapshot = { session: checkpoint.session, artifacts, savedAt: this.deps.clock.now(), ...(work && { work }) };
          await this.deps.sessions.save(snapshot, target, signal);
        } catch (error) {
          this.deps.logger.warn({ jobId, error: DomainError.from(error).message }, 'session checkpoint not saved');
        }
      } while (checkpoint.again && !checkpoint.over);
    })().finally(() => {
      checkpoint.running = undefined;
    });
  }

  /** The workspace's uncommitted changes, secrets masked; undefined when there are none. */
  async #work(checkout: RepoCheckout, signal: AbortSignal): Promise<WorkInProgress | undefined> {
    const work = await this.deps.repo.saveWork(checkout, this.deps.settings.maxWorkBytes, signal);
    if (!work) return undefined;
    // The diff holds whatever the agent wrote, secrets it printed included: masked like its transcript.
    const masked = this.deps.redactor.json(Buffer.from(work.patch, 'base64').toString('latin1'));
    return { ...work, patch: Buffer.from(masked, 'latin1').toString('base64') };
  }

  async #saveSession(
    session: Session,
    artifacts: SessionSnapshot['artifacts'],
    target: PersistenceTarget | undefined,
    progress: JobContext['progress'],
  ): Promise<void> {
    const { providerSessionId } = session;
    if (session.branch === undefined) delete session.branch;
    try {
      // Saving must outlive a cancelled job: the transcript is what lets the client resume it.
      // A transcript holds every tool output, so whatever the agent printed of a secret is in it.
      const masked = artifacts.map((artifact) => ({ ...artifact, content: this.deps.redactor.json(artifact.content) }));
      const snapshot = { session, artifacts: masked, savedAt: this.deps.clock.now() };
      await this.deps.sessions.save(snapshot, target, AbortSignal.timeout(this.deps.settings.flushTimeoutMs));
      progress.snapshot = snapshot;
      progress.target = target;
    } catch (error) {
      this.deps.logger.warn({ providerSessionId, error: DomainError.from(error).code }, 'session not saved');
    }
  }

  async #fail({ job, stream, progress }: JobContext, thrown: unknown, persistence: PersistenceReport | undefined): Promise<void> {
    const error = DomainError.from(thrown);
    if (error.code === 'INTERNAL') this.deps.logger.error({ jobId: job.id, err: thrown }, 'job failed unexpectedly');
    job.fail(error.code);
    await stream.emit({
      type: 'error',
      code: error.code,
      message: error.message,
      retryable: error.retryable,
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

  /** Before the terminal event, so it can say what the database missed; bounded by flushTimeoutMs. */
  async #flush({ request }: JobContext, recorder: JobRecorder): Promise<PersistenceReport | undefined> {
    if (!request.database) return undefined;
    return recorder.flush(AbortSignal.timeout(this.deps.settings.flushTimeoutMs));
  }

  #deadline(ms: number): { signal: AbortSignal; clear(): void } {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DomainError('TIMEOUT', `the job ran longer than ${ms} ms`)),
      ms,
    );
    return { signal: controller.signal, clear: () => clearTimeout(timer) };
  }
}
