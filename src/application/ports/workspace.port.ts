/** Gives each job a directory to work in, inside the worker's workspace root. */
export interface WorkspacePort {
  /**
   * The directory for `name` (a relative path already checked for shape), or a fresh one for
   * the job; throws WORKSPACE_INVALID when it would leave the root, e.g. through a symlink.
   */
  prepare(name: string | undefined, jobId: string): Promise<string>;
  /** Bytes `dir` takes on disk, everything below it included. */
  usage(dir: string): Promise<number>;
}
