import { StringDecoder } from 'node:string_decoder';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { Secret } from '../../domain/secret.js';
import { killGroupWhenGitFails } from './git-process-group.js';
import { progressReader, type GitProgressLine } from './git-progress.js';

export interface GitEnvironment {
  path: string;
  /** An empty HOME, so no user-level git configuration applies. */
  home: string;
  /** An empty directory: hooks planted in a cloned repository never run in the worker. */
  emptyHooksDir: string;
  /** git is killed when it prints nothing for this long. */
  timeoutMs: number;
  authorName: string;
  authorEmail: string;
}

export interface GitClientOptions {
  /** The one remote git may reach; without it git reaches none, as for work on local objects. */
  repoUrl?: string;
  token?: Secret;
  signal: AbortSignal;
  /** Each redraw of git's progress meters, from the commands run with --progress. */
  onProgress?: (line: GitProgressLine) => void;
  /** git's own location variables (GIT_INDEX_FILE, GIT_DIR, GIT_WORK_TREE) for a scratch index or tree. */
  locations?: Partial<Record<'GIT_INDEX_FILE' | 'GIT_DIR' | 'GIT_WORK_TREE', string>>;
  /** More configuration, above anything in the repository's own files. */
  overrides?: Array<[string, string]>;
}

/**
 * A simple-git client with an explicit minimal environment and configuration. The token goes
 * in an environment config entry (never argv, the remote URL or .git/config), scoped to the
 * repository's own URL; the -c entries neutralize what an agent may have planted in
 * .git/config since the clone (URL rewrites, proxies, fsmonitor, hooks, credential helpers).
 */
export function gitClient(dir: string, env: GitEnvironment, options: GitClientOptions): SimpleGit {
  const url = options.repoUrl;
  const config = [
    'protocol.allow=never',
    'http.followRedirects=false',
    `core.hooksPath=${env.emptyHooksDir}`,
    'core.fsmonitor=false',
    'credential.helper=',
    'core.askPass=',
    'http.proxy=',
    'http.sslVerify=true',
    ...(url ? remoteConfig(url) : []),
  ];
  const vars = {
    ...gitEnv(env, url, options.token, options.overrides ?? []),
    ...options.locations,
    // git holds the checkout's meter back for 2 seconds; a quicker checkout would show none.
    ...(options.onProgress && { GIT_PROGRESS_DELAY: '0' }),
  };
  const git = simpleGit({
    baseDir: dir,
    // simple-git guards git's own variables; these are the ones this client sets on purpose.
    allowEnvironment: Object.keys(vars).filter((key) => key.startsWith('GIT_')),
    config,
    abort: options.signal,
    timeout: { block: env.timeoutMs },
    unsafe: {
      allowUnsafeConfigEnvCount: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeProtocolOverride: true,
      allowUnsafeHooksPath: true,
      allowUnsafeFsMonitor: true,
      allowUnsafeUrlRewrite: true,
      allowUnsafeCredentialHelper: true,
      allowUnsafeAskPass: true,
      // Only localGitClient sets these, and only to switch a planted driver off.
      allowUnsafeFilter: true,
      allowUnsafeMergeDriver: true,
    },
  });
  // Not simple-git's progress option: it reads one meter per chunk of stderr, where git writes
  // many (the last, 100%, is lost) or half of one, and names a phase by its first word.
  const onProgress = options.onProgress;
  if (onProgress) git.outputHandler((_command, _stdout, stderr) => readMeters(stderr, onProgress));
  killGroupWhenGitFails(git, options.signal);
  return git.env(vars);
}

function readMeters(stderr: NodeJS.ReadableStream, onProgress: (line: GitProgressLine) => void): void {
  const decoder = new StringDecoder('utf8');
  const read = progressReader();
  stderr.on('data', (chunk: Buffer) => {
    for (const line of read(decoder.write(chunk))) onProgress(line);
  });
}

function remoteConfig(url: string): string[] {
  return [
    `protocol.${new URL(url).protocol.replace(':', '')}.allow=always`,
    `url.${url}.insteadOf=${url}`,
    `http.${url}.proxy=`,
    `http.${url}.sslVerify=true`,
  ];
}

function gitEnv(env: GitEnvironment, url: string | undefined, token: Secret | undefined, overrides: Array<[string, string]>): Record<string, string> {
  const vars: Record<string, string> = {
    PATH: env.path,
    HOME: env.home,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: env.authorName,
    GIT_AUTHOR_EMAIL: env.authorEmail,
    GIT_COMMITTER_NAME: env.authorName,
    GIT_COMMITTER_EMAIL: env.authorEmail,
  };
  // Workspaces belong to the agent's user when it runs as one: git would refuse them as "dubious".
  const config: Array<[string, string]> = [['safe.directory', '*'], ...overrides];
  if (token && url) {
    // GitHub takes a token as the password of HTTP basic auth, with any user name.
    const basic = Buffer.from(`x-access-token:${token.reveal()}`).toString('base64');
    config.push([`http.${url}.extraHeader`, `Authorization: Basic ${basic}`]);
  }
  vars.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], index) => {
    vars[`GIT_CONFIG_KEY_${index}`] = key;
    vars[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return vars;
}

/**
 * A client that reaches no remote, for work on the checkout's own objects, with every filter
 * and merge driver of the repository's configuration switched off: .git/config is the agent's
 * to write, and a driver is a command git would run as the worker.
 */
export async function localGitClient(
  dir: string,
  env: GitEnvironment,
  signal: AbortSignal,
  locations?: GitClientOptions['locations'],
): Promise<SimpleGit> {
  const where = locations ? { locations } : {};
  const names = await gitClient(dir, env, { signal, ...where })
    .raw(['config', '-z', '--name-only', '--get-regexp', '^(filter\\..+\\.(clean|smudge|process)|merge\\..+\\.driver)$']);
  const overrides = names.split('\0').filter(Boolean).flatMap(disabledDriver);
  return gitClient(dir, env, { signal, overrides, ...where });
}

/** An empty filter command means no filter; a merge driver of `false` reports a conflict. */
function disabledDriver(key: string): Array<[string, string]> {
  const driver = key.slice(key.indexOf('.') + 1, key.lastIndexOf('.'));
  if (key.startsWith('merge.')) return [[`merge.${driver}.driver`, 'false']];
  return [
    [`filter.${driver}.clean`, ''],
    [`filter.${driver}.smudge`, ''],
    [`filter.${driver}.process`, ''],
    [`filter.${driver}.required`, 'false'],
  ];
}
