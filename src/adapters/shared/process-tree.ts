import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Every descendant of `root`, read from /proc. Claude Code starts its Bash tool with setsid,
 * so a process-group kill misses those; walking parent links finds them while they still
 * hang below the CLI.
 */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    const siblings = children.get(parent) ?? [];
    siblings.push(pid);
    children.set(parent, siblings);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function parentOf(pid: number): number | undefined {
  return statField(pid, 1);
}

/** The process group `pid` is in: what a shell it runs starts next joins it too. */
export function processGroupOf(pid: number): number | undefined {
  return statField(pid, 2);
}

/** Gone, or a zombie: nothing left to end. */
export function isZombie(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state === undefined || state === 'Z';
}

/** A field of /proc/<pid>/stat counted from the state (0), the one after the command name. */
function statField(pid: number, index: number): number | undefined {
  const field = statFields(pid)?.[index];
  return field === undefined ? undefined : Number(field);
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing to end.
  }
}

/** SIGKILL to every process left in the group `leader` led, even after the leader has gone. */
export function killGroup(leader: number): void {
  signal(-leader, 'SIGKILL');
}

const groupsOutlivingWorker = new Set<number>();
let listeningForExit = false;

/**
 * Kills the group `leader` leads if the worker exits first: a detached group is out of reach of
 * the signals that end the worker's own group. Returns the call that forgets it, once it has ended.
 */
export function killGroupOnExit(leader: number): () => void {
  if (!listeningForExit) {
    listeningForExit = true;
    process.on('exit', killGroupsOutlivingWorker);
  }
  groupsOutlivingWorker.add(leader);
  return () => groupsOutlivingWorker.delete(leader);
}

function killGroupsOutlivingWorker(): void {
  for (const leader of groupsOutlivingWorker) killGroup(leader);
}

/** Descendants of this process working in `dir` or below it: what a killed git left behind. */
export function descendantsWorkingIn(dir: string): number[] {
  return descendantsOf(process.pid).filter((pid) => {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      return cwd === dir || cwd.startsWith(`${dir}/`);
    } catch {
      return false;
    }
  });
}

/** Live processes whose real user is `uid`: what an agent's user still has running. */
export function processesOfUser(uid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const uids = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (Number(uids?.[1]) === uid) found.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}
