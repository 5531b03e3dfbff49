import type { RepoProgress } from '../../application/ports/repo.port.js';
import type { RepoPhase } from '../../domain/repo-progress.js';
import type { GitProgressLine } from './git-progress.js';

type Stage = RepoProgress['stage'];

// git clone checks the branch out itself: its file meter belongs to the checkout stage.
const checkoutPhases: ReadonlySet<RepoPhase> = new Set(['updating files']);

/** The phase a stage is reported under when git shows no meter for it. */
const quietPhase: Record<Stage, RepoPhase> = { clone: 'receiving objects', fetch: 'receiving objects', checkout: 'updating files' };

interface Phase {
  stage: Stage;
  phase: RepoPhase;
  /** The last percent reported. */
  percent: number;
  total: number;
}

/**
 * The port's progress out of git's meters. Each (stage, phase) is reported from 0 to 100 and
 * never falls, even when git shows a meter twice (a switch then a merge both updating files).
 * git redraws a meter far more often than a client needs: between a phase's 0 and its 100,
 * at most one report per interval.
 */
export class ProgressReporter {
  readonly #phases = new Map<string, Phase>();
  #operation: Stage | undefined;
  #lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly emit: (progress: RepoProgress) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs one git step, its meters reported under `operation`. When git succeeds every phase it
   * showed has finished, so each ends at 100, and each of `stages` that no meter has shown yet
   * (nothing to receive, no file to update) still reports its 0 and 100.
   */
  async step<T>(operation: Stage, run: () => Promise<T>, stages: Stage[] = [operation]): Promise<T> {
    this.#operation = operation;
    try {
      const result = await run();
      for (const open of this.#phases.values()) {
        if (open.percent < 100) this.#send(open, 100, open.total);
      }
      for (const stage of stages) {
        if ([...this.#phases.values()].some((p) => p.stage === stage)) continue;
        this.#send(this.#open(stage, quietPhase[stage], 0), 100, 0);
      }
      return result;
    } finally {
      this.#operation = undefined;
    }
  }

  /** One redraw of a meter of the running step's git. */
  line({ phase, percent, processed, total }: GitProgressLine): void {
    if (!this.#operation) return;
    const stage = checkoutPhases.has(phase) ? 'checkout' : this.#operation;
    const current = this.#phases.get(`${stage}/${phase}`) ?? this.#open(stage, phase, total);
    if (percent <= current.percent) return;
    current.total = total;
    if (percent < 100 && this.now() - this.#lastAt < this.intervalMs) return;
    this.#send(current, percent, processed);
  }

  #open(stage: Stage, phase: RepoPhase, total: number): Phase {
    const opened = { stage, phase, percent: 0, total };
    this.#phases.set(`${stage}/${phase}`, opened);
    this.emit({ stage, phase, percent: 0, processed: 0, total });
    this.#lastAt = this.now();
    return opened;
  }

  #send(phase: Phase, percent: number, processed: number): void {
    phase.percent = percent;
    this.emit({ stage: phase.stage, phase: phase.phase, percent, processed, total: phase.total });
    this.#lastAt = this.now();
  }
}
