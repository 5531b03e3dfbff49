import type { ValidationIssue } from '../../domain/errors.js';

/** Gives each job a directory to work in, inside the worker's workspace root. */
export interface WorkspacePort {
  /** What is wrong with a requested name (checked for shape already) before the job starts: an absolute path outside the root. */
  validate(name: string): ValidationIssue[];
  /**
   * The directory for `name` (validated), or a fresh one for the job; throws WORKSPACE_INVALID
   * when it would leave the root, e.g. through a symlink.
   */
  prepare(name: string | undefined, jobId: string): Promise<string>;
  /** Bytes `dir` takes on disk, everything below it included. */
  usage(dir: string): Promise<number>;
  /** Removes the fresh directory `prepare` gave the job, everything in it, never following a symlink out. */
  release(jobId: string): Promise<void>;
}
