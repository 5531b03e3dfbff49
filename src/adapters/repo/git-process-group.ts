import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { SimpleGit } from 'simple-git';
import { killGroup, killGroupOnExit } from '../shared/process-tree.js';

// simple-git's own plugin hooks, as its dist/src/lib/plugins/simple-git-plugin.d.ts declares them
// (it does not export them). Plugins run in the order added, after the built-in ones.
type GroupPlugin =
  | { type: 'spawn.options'; action(options: Partial<SpawnOptions>): Partial<SpawnOptions> }
  | { type: 'spawn.after'; action(data: void, context: { spawned: ChildProcess }): void };

interface PluginHost {
  _plugins?: { add(plugins: GroupPlugin[]): unknown };
}

/**
 * Each git that `git` runs leads a process group of its own, and the whole group is killed
 * when git ends unsuccessfully (simple-git's silence timeout and abort send SIGINT to git
 * alone), when `signal` aborts, or when the worker exits first. git does not end its helpers
 * on SIGINT: a lazy `git fetch`, git-remote-http and index-pack ran on, holding a stalled
 * connection, after the clone had failed. A successful git is left alone: it has waited for
 * its helpers, and a `gc --auto` it detaches leaves the group itself.
 */
export function killGroupWhenGitFails(git: SimpleGit, signal: AbortSignal): void {
  // simple-git 4.0.2's spawnOptions passes only uid and gid on, and it has no public way to add
  // a plugin: its instance's plugin store is the one way in.
  const store = (git as unknown as PluginHost)._plugins;
  if (typeof store?.add !== 'function') {
    throw new Error('simple-git no longer exposes its plugin store: git would run in the worker\'s process group');
  }
  store.add([
    // Node's detached is setsid(): git leads a new session and group, which its children join.
    { type: 'spawn.options', action: (options) => ({ ...options, detached: true }) },
    {
      type: 'spawn.after',
      action(_data, { spawned }) {
        const leader = spawned.pid;
        // git did not start: simple-git reports the spawn error, and there is no group.
        if (leader === undefined) return;
        const kill = (): void => killGroup(leader);
        const forget = killGroupOnExit(leader);
        signal.addEventListener('abort', kill, { once: true });
        spawned.once('exit', (code) => {
          forget();
          signal.removeEventListener('abort', kill);
          if (code !== 0) kill();
        });
      },
    },
  ]);
}
