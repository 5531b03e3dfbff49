import { lchown, readdir } from 'node:fs/promises';
import { join } from 'node:path';
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

/** The command line that starts `command` as the agent, unable to gain privileges through exec. */
export function agentCommand(user: AgentUser, command: string, args: string[]): { command: string; args: string[] } {
  return user.setpriv ? { command: user.setpriv, args: ['--no-new-privs', '--', command, ...args] } : { command, args };
}

/** Gives the agent's user a directory and everything in it: its workspace, its HOME. */
export async function handOver(dir: string, user: AgentUser): Promise<void> {
  await lchown(dir, user.uid, user.gid);
  for (const entry of await readdir(dir, { recursive: true })) {
    await lchown(join(dir, entry), user.uid, user.gid).catch(() => undefined);
  }
}

/** Ends every process of the agent's user, setsid'd grandchildren included; returns how many there were. */
export function sweep(user: AgentUser): number {
  const left = processesOfUser(user.uid);
  for (const pid of left) signal(pid, 'SIGKILL');
  return left.length;
}
