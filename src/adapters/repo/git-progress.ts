import type { RepoPhase } from '../../domain/repo-progress.js';

/** One redraw of one of git's progress meters. */
export interface GitProgressLine {
  phase: RepoPhase;
  percent: number;
  processed: number;
  total: number;
}

// git's titles under LANG=C. The remote's meters reach us behind "remote: " (git's sideband
// prefixes every line the server sends), so a server can fake neither the worker's own phases
// nor, by prefixing, its own. "Checking out files" is older git's title for "Updating files".
const remotePhases: Record<string, RepoPhase> = {
  'Counting objects': 'counting objects',
  'Compressing objects': 'compressing objects',
};
const localPhases: Record<string, RepoPhase> = {
  'Receiving objects': 'receiving objects',
  'Unpacking objects': 'unpacking objects',
  'Resolving deltas': 'resolving deltas',
  'Checking objects': 'checking objects',
  'Updating files': 'updating files',
  'Checking out files': 'updating files',
};

// "Receiving objects:  45% (10/22), 16.00 KiB | 16.00 MiB/s" (the server pads its lines with spaces).
const meter = /^(remote: )?([A-Z][a-z]*(?: [a-z]+)*):\s+(\d{1,3})% \((\d{1,15})\/(\d{1,15})\)/;

// A line longer than any meter is not one; its tail is dropped rather than kept growing.
const longestLine = 4096;

export function parseMeter(line: string): GitProgressLine | undefined {
  const match = meter.exec(line);
  if (!match) return undefined;
  const phase = (match[1] ? remotePhases : localPhases)[match[2]!];
  const percent = Number(match[3]);
  if (!phase || percent > 100) return undefined;
  return { phase, percent, processed: Number(match[4]), total: Number(match[5]) };
}

/**
 * A reader of one git process's stderr that returns the meters in it, in order. git redraws a
 * meter after \r and ends it with \n, and a pipe hands over many redraws in one chunk, or part
 * of one: the unfinished tail waits for the next chunk.
 */
export function progressReader(): (chunk: string) => GitProgressLine[] {
  let tail = '';
  return (chunk) => {
    const lines = (tail + chunk).split(/[\r\n]/);
    tail = (lines.pop() ?? '').slice(0, longestLine);
    return lines.flatMap((line) => parseMeter(line) ?? []);
  };
}
