import type { ErrorCode } from './errors.js';
import { err, ok, type Result } from './result.js';

export type JobStatus = 'accepted' | 'preparing' | 'running' | 'completed' | 'failed';

/** Which moves the state machine allows; a job ends exactly once. */
const transitions: Record<JobStatus, readonly JobStatus[]> = {
  accepted: ['preparing', 'failed'],
  preparing: ['running', 'failed'],
  running: ['completed', 'failed'],
  completed: [],
  failed: [],
};

export interface JobState {
  readonly id: string;
  readonly provider: string;
  readonly startedAt: number;
  readonly status: JobStatus;
  readonly failure?: ErrorCode;
}

export class Job {
  #state: JobState;

  private constructor(state: JobState) {
    this.#state = state;
  }

  static accept(id: string, provider: string, startedAt: number): Job {
    return new Job({ id, provider, startedAt, status: 'accepted' });
  }

  get id(): string {
    return this.#state.id;
  }

  get provider(): string {
    return this.#state.provider;
  }

  get startedAt(): number {
    return this.#state.startedAt;
  }

  get status(): JobStatus {
    return this.#state.status;
  }

  get isFinished(): boolean {
    return this.#state.status === 'completed' || this.#state.status === 'failed';
  }

  snapshot(): JobState {
    return this.#state;
  }

  moveTo(next: Exclude<JobStatus, 'failed'>): Result<JobState, string> {
    return this.#transition({ ...this.#state, status: next });
  }

  fail(code: ErrorCode): Result<JobState, string> {
    return this.#transition({ ...this.#state, status: 'failed', failure: code });
  }

  #transition(next: JobState): Result<JobState, string> {
    if (!transitions[this.#state.status].includes(next.status)) {
      return err(`a ${this.#state.status} job cannot become ${next.status}`);
    }
    this.#state = next;
    return ok(next);
  }
}
