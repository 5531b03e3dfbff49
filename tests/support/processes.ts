import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** PIDs of live processes whose working directory is `dir` or below it. */
export function processesInside(dir: string): number[] {
  return livePids().filter((pid) => {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      return cwd === dir || cwd.startsWith(`${dir}/`);
    } catch {
      return false;
    }
  });
}

/** The argv and environment of every live process, for leak checks. */
export function processTexts(): Array<{ pid: number; argv: string; environ: string }> {
  return livePids().flatMap((pid) => {
    try {
      return [{
        pid,
        argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '),
        environ: readFileSync(`/proc/${pid}/environ`, 'utf8').replaceAll('\0', '\n'),
      }];
    } catch {
      return [];
    }
  });
}

function livePids(): number[] {
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid !== process.pid && !isZombie(pid));
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
