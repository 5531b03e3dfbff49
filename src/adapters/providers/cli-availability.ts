import { accessSync, constants } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { ProviderAvailability } from '../../application/ports/provider.port.js';

/** Whether a CLI can be started: an absolute path that is executable, or a command found on PATH. */
export function cliAvailability(executable: string, path: string, version: string | undefined): ProviderAvailability {
  const candidates = isAbsolute(executable) ? [executable] : path.split(':').filter(Boolean).map((dir) => join(dir, executable));
  const available = candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return available && version ? { available, version } : { available };
}
