import { lchown } from 'node:fs/promises';
import { join } from 'node:path';
import { walkAgentTree } from '../shared/agent-file.js';
import { processesOfUser, signal } from '../shared/process-tree.js';

/**
 * The unprivileged user the assistant's CLI runs as, apart from the worker's: it cannot read
 * the worker's environment (/proc/<pid>/environ) nor its state, and every process it leaves
 * behind can be found by its uid and ended.
 */
export interface AgentUser {
  uid: number;
  gid: number;
  /** setpriv's path: the CLI then starts with no_new_privs, so nothing it runs gains privileges. */
  setpriv?: string;
}

/**
 * The command line that starts `command` as the agent, unable to gain privileges through exec,
 * and killed when the worker dies: the kernel sends a parent-death signal when the thread that
 * started it exits, which for a spawn from Node is the main thread, so the whole worker (even
 * killed with SIGKILL, where no handler of its own runs). What the CLI starts in sessions of
 * their own is ended by the next worker's start (see infrastructure/agent-user-startup.ts).
 */
export function agentCommand(user: AgentUser, command: string, args: string[]): { command: string; args: string[] } {
  return user.setpriv ? { command: user.setpriv, args: ['--no-new-privs', '--pdeathsig', 'SIGKILL', '--', command, ...args] } : { command, args };
}

/**
 * Gives the agent's user a directory and everything in it: its workspace, its HOME. A symlink
 * is given, never followed: readdir's `recursive` descends into a symlink to a directory (Node
 * 20-24), and lchown follows every component but the last, so a link a repository or an earlier
 * job left (`x -> /etc`) would hand over what it points to. No process of the agent's runs
 * while this does, so the directories walked cannot be swapped for links meanwhile.
 */
export async function handOver(dir: string, user: AgentUser): Promise<void> {
  await lchown(dir, user.uid, user.gid);
  for await (const entry of walkAgentTree(dir)) {
    await lchown(join(dir, entry.path), user.uid, user.gid).catch(() => undefined);
  }
}

/** Ends every process of the agent's user, setsid'd grandchildren included; returns how many there were. */
export function sweep(user: AgentUser): number {
  const left = processesOfUser(user.uid);
  for (const pid of left) signal(pid, 'SIGKILL');
  return left.length;
}
