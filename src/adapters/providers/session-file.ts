import { DomainError } from '../../domain/errors.js';
import { AgentFileRefused, readAgentFile } from '../shared/agent-file.js';

/**
 * The largest session file (transcript, rollout, chat) the worker reads from a job's HOME. The
 * reference DB API takes request bodies up to 64 MiB (src/db-api/db-api.app.ts), so a snapshot
 * holding a larger one could not be stored anyway; it is also the longest CLI line the worker reads.
 */
export const maxSessionFileBytes = 64 * 1024 * 1024;

/**
 * A session file the CLI wrote in the job's HOME, as text; undefined when it never wrote one.
 * The agent can write that HOME: a symlink, FIFO, hard link or oversized file in the file's
 * place is never read, and fails the export (the session is not kept, an earlier save stays).
 */
export async function readSessionFile(path: string, home: string, what: string): Promise<string | undefined> {
  try {
    return (await readAgentFile(path, { root: home, maxBytes: maxSessionFileBytes }))?.toString('utf8');
  } catch (error) {
    throw error instanceof AgentFileRefused ? sessionNotKept(what, error) : error;
  }
}

export function sessionNotKept(what: string, refusal: AgentFileRefused): DomainError {
  return new DomainError('PROVIDER_FAILED', `the session was not kept: its ${what} ${refusal.message}`, { retryable: false });
}
