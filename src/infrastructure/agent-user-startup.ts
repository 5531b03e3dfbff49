import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { agentCommand } from '../adapters/providers/agent-user.js';
import { isZombie, processesOfUser, signal } from '../adapters/shared/process-tree.js';
import type { LoggerPort } from '../application/ports/logger.port.js';
import { ConfigError, type Config } from './config.js';

type AgentUser = NonNullable<Config['agentUser']>;

/**
 * Readies the host for agents that run as AGENT_USER, before the worker takes a job: the roots
 * they pass through are opened to them, what that user still runs is ended, and the user is
 * shown to be able to write where its jobs will work. Throws ConfigError when it cannot.
 */
export function prepareAgentUser(config: Config, logger: LoggerPort): void {
  const user = config.agentUser;
  if (!user) return;
  const homes = join(config.stateDir, 'homes');
  openPaths([config.workspaceDir, config.stateDir, homes]);
  endLeftovers(user, logger);
  probeWrites(config.workspaceDir, 'WORKSPACE_DIR', user, config.path);
  probeWrites(homes, 'STATE_DIR', user, config.path);
}

/**
 * The roots the agent must pass through to reach its workspace and its HOME are traversable
 * (not listable) by others; the state under them stays the worker's.
 */
function openPaths(dirs: string[]): void {
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o711);
  }
}

/**
 * Every process of the agent's user is a leftover at start: the agents of a predecessor killed
 * with SIGKILL (its CLI dies with it through setpriv's --pdeathsig, not what that CLI started in
 * sessions of their own). The user is therefore one worker's alone.
 */
function endLeftovers(user: AgentUser, logger: LoggerPort): void {
  const left = processesOfUser(user.uid).filter((pid) => !isZombie(pid));
  for (const pid of left) signal(pid, 'SIGKILL');
  if (left.length > 0) logger.warn({ uid: user.uid, killed: left.length }, 'AGENT_USER had processes running at start (a previous worker\'s agents); killed');
}

/**
 * Does what a job does to its workspace and HOME: makes a directory under `root`, hands it to
 * the agent's user, and has that user write a file in it, started as the CLI is. Otherwise every
 * tool call of every job would fail with EACCES, and the jobs would still end "completed".
 */
function probeWrites(root: string, variable: string, user: AgentUser, path: string): void {
  let probe: string;
  try {
    probe = mkdtempSync(join(root, '.agent-probe-'));
  } catch (error) {
    throw new ConfigError(`${variable}: the worker cannot make a directory in ${root} (${codeOf(error)})`);
  }
  try {
    try {
      chownSync(probe, user.uid, user.gid);
    } catch (error) {
      throw new ConfigError(`AGENT_USER: the worker cannot give ${nameOf(user)} a directory in ${variable} ${root} (chown: ${codeOf(error)}): it must run as root, on a filesystem that honours chown`);
    }
    const { command, args } = agentCommand(user, '/bin/sh', ['-c', 'touch "$1/probe" && rm "$1/probe"', 'sh', probe]);
    const run = spawnSync(command, args, { uid: user.uid, gid: user.gid, cwd: '/', env: { PATH: path }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 10_000 });
    if (run.status === 0) return;
    const why = run.stderr?.trim() || run.error?.message || `exit ${run.status ?? run.signal}`;
    throw new ConfigError(`AGENT_USER: ${nameOf(user)} cannot write in ${variable} ${root} (${why}). ${fixFor(root, variable, user)}`);
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

function fixFor(root: string, variable: string, user: AgentUser): string {
  const closed = ancestorsOf(root).find((dir) => !searchable(statSync(dir), user));
  if (closed) {
    return `Every directory above ${variable} must let uid ${user.uid} pass, and ${closed} does not: chmod o+x ${closed} (or chgrp ${user.gid} and chmod g+x), or set ${variable} to a directory it can reach.`;
  }
  // Every directory on the way lets it pass, and the one it was given is its own: the filesystem or a policy refuses.
  return `It reaches ${root}, but a directory there that it owns stays unwritable to it (a read-only mount, NFS with root_squash, an ACL or SELinux label): set ${variable} to a directory on a filesystem where uid ${user.uid} can write what it owns.`;
}

/** `/` first, down to the parent of `dir`. */
function ancestorsOf(dir: string): string[] {
  const found: string[] = [];
  for (let parent = dirname(dir); ; parent = dirname(parent)) {
    found.unshift(parent);
    if (parent === dirname(parent)) return found;
  }
}

// Its supplementary groups are cleared when it starts (libuv's setgroups for a spawn with uid/gid).
function searchable(stats: Stats, user: AgentUser): boolean {
  if (stats.uid === user.uid) return (stats.mode & 0o100) !== 0;
  if (stats.gid === user.gid) return (stats.mode & 0o010) !== 0;
  return (stats.mode & 0o001) !== 0;
}

const codeOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);

/** `name (uid 999)`, or the uid alone for a user /etc/passwd does not name. */
function nameOf(user: AgentUser): string {
  let name: string | undefined;
  try {
    name = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => fields[2] === String(user.uid))?.[0];
  } catch {
    // No passwd file: the uid says it.
  }
  return name ? `${name} (uid ${user.uid})` : `uid ${user.uid}`;
}
