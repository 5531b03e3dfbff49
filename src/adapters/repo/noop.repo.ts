import type { RepoPort } from '../../application/ports/repo.port.js';
import { DomainError } from '../../domain/errors.js';

/** For a worker without repository support: a request that names a repository is refused, not ignored. */
export class NoopRepo implements RepoPort {
  async prepare(): Promise<never> {
    throw new DomainError('VALIDATION_FAILED', 'this worker has no repository support');
  }
}
