import { DomainError } from '../domain/errors.js';
import type { Redactor } from '../domain/redactor.js';
import type { Session, SessionArtifact, SessionSnapshot, WorkInProgress } from '../domain/session.js';
import type { ClockPort } from './ports/clock.port.js';
import type { LoggerPort } from './ports/logger.port.js';
import type { PersistenceTarget } from './ports/persistence.port.js';
import type { RepoCheckout, RepoPort } from './ports/repo.port.js';
import type { SessionStorePort } from './ports/session-store.port.js';

export interface SessionKeeperDeps {
  sessions: SessionStorePort;
  repo: RepoPort;
  redactor: Redactor;
  clock: ClockPort;
  logger: LoggerPort;
  settings: { flushTimeoutMs: number; maxWorkBytes: number };
}

// How long after a tool's result the session is saved; results in between share one save.
const checkpointDelayMs = 500;

/**
 * Keeps one job's session resumable on any replica: the transcript the provider hands over at
 * the end, the same as the job goes (after each tool's result, for a provider that can read it
 * while it runs, so a job whose worker dies can still be resumed), and the repository's
 * uncommitted work with it. Every save is masked like the events; none ever fails the job.
 */
export class SessionKeeper {
  #checkout: RepoCheckout | undefined;
  #saved: SessionSnapshot | undefined;
  #live: { session: Session; exportNow: () => Promise<SessionArtifact[]> } | undefined;
  #checkpoint: Promise<void> | undefined;
  #again = false;
  #over = false;

  constructor(
    private readonly deps: SessionKeeperDeps,
    private readonly jobId: string,
    /** The request's database; without one the replica's own store, which dies with it. */
    private readonly target: PersistenceTarget | undefined,
  ) {}

  /** The job's repository, whose uncommitted work goes with the session. */
  workIn(checkout: RepoCheckout): void {
    this.#checkout = checkout;
  }

  /** The provider can read its transcript at any point: save as the job goes (with a database only). */
  follow(session: Session, exportNow: () => Promise<SessionArtifact[]>): void {
    if (this.target) this.#live = { session, exportNow };
  }

  /** A tool has run: the workspace and the transcript have moved on, worth saving. */
  toolRan(): void {
    if (!this.#live || this.#over) return;
    if (this.#checkpoint) {
      this.#again = true;
      return;
    }
    this.#checkpoint = this.#checkpoints(this.#live).finally(() => {
      this.#checkpoint = undefined;
    });
  }

  /** The provider's last save, once its run is over; no checkpoint may land after it. */
  async save(session: Session, artifacts: SessionArtifact[]): Promise<void> {
    this.#over = true;
    await this.#checkpoint;
    if (session.branch === undefined) delete session.branch;
    try {
      // Saving must outlive a cancelled job: the transcript is what lets the client resume it.
      const snapshot = { session, artifacts: this.#masked(artifacts), savedAt: this.deps.clock.now() };
      await this.deps.sessions.save(snapshot, this.target, this.#timeout());
      this.#saved = snapshot;
    } catch (error) {
      this.deps.logger.warn({ providerSessionId: session.providerSessionId, error: DomainError.from(error).code }, 'session not saved');
    }
  }

  /** Saves the session once more with the workspace's uncommitted changes, when there are any. */
  async keepWork(): Promise<void> {
    if (!this.#checkout || !this.#saved) return;
    try {
      const work = await this.#work(this.#checkout);
      if (work) await this.deps.sessions.save({ ...this.#saved, work, savedAt: this.deps.clock.now() }, this.target, this.#timeout());
    } catch (error) {
      this.deps.logger.warn({ jobId: this.jobId, error: DomainError.from(error).message }, 'uncommitted work not kept');
    }
  }

  async #checkpoints(live: { session: Session; exportNow: () => Promise<SessionArtifact[]> }): Promise<void> {
    // The CLI reports a tool's result before its transcript has it: give the transcript a moment.
    await new Promise((resolve) => setTimeout(resolve, checkpointDelayMs));
    do {
      this.#again = false;
      try {
        const artifacts = this.#masked(await live.exportNow());
        const work = this.#checkout && (await this.#work(this.#checkout));
        if (this.#over) return;
        const snapshot = { session: live.session, artifacts, savedAt: this.deps.clock.now(), ...(work && { work }) };
        await this.deps.sessions.save(snapshot, this.target, this.#timeout());
      } catch (error) {
        this.deps.logger.warn({ jobId: this.jobId, error: DomainError.from(error).message }, 'session checkpoint not saved');
      }
    } while (this.#again && !this.#over);
  }

  /** The workspace's uncommitted changes, secrets masked; undefined when there are none. */
  async #work(checkout: RepoCheckout): Promise<WorkInProgress | undefined> {
    const work = await this.deps.repo.saveWork(checkout, this.deps.settings.maxWorkBytes, this.#timeout());
    if (!work) return undefined;
    // The diff holds whatever the agent wrote, secrets it printed included: masked like its transcript.
    const masked = this.deps.redactor.json(Buffer.from(work.patch, 'base64').toString('latin1'));
    return { ...work, patch: Buffer.from(masked, 'latin1').toString('base64') };
  }

  /** A transcript holds every tool output, so whatever the agent printed of a secret is in it. */
  #masked(artifacts: SessionArtifact[]): SessionArtifact[] {
    return artifacts.map((artifact) => ({ ...artifact, content: this.deps.redactor.json(artifact.content) }));
  }

  #timeout(): AbortSignal {
    return AbortSignal.timeout(this.deps.settings.flushTimeoutMs);
  }
}
