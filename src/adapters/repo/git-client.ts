import { simpleGit, type SimpleGit, type SimpleGitProgressEvent } from 'simple-git';
import type { Secret } from '../../domain/secret.js';

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
  repoUrl: string;
  token?: Secret;
  signal: AbortSignal;
  onProgress?: (event: SimpleGitProgressEvent) => void;
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
    `protocol.${new URL(url).protocol.replace(':', '')}.allow=always`,
    'http.followRedirects=false',
    `core.hooksPath=${env.emptyHooksDir}`,
    'core.fsmonitor=false',
    `url.${url}.insteadOf=${url}`,
    'credential.helper=',
    'core.askPass=',
    'http.proxy=',
    `http.${url}.proxy=`,
    'http.sslVerify=true',
    `http.${url}.sslVerify=true`,
  ];
  const vars = gitEnv(env, url, options.token);
  const git = simpleGit({
    baseDir: dir,
    // simple-git guards git's own variables; these are the ones this client sets on purpose.
    allowEnvironment: Object.keys(vars).filter((key) => key.startsWith('GIT_')),
    config,
    abort: options.signal,
    timeout: { block: env.timeoutMs },
    ...(options.onProgress ? { progress: options.onProgress } : {}),
    unsafe: {
      allowUnsafeConfigEnvCount: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeProtocolOverride: true,
      allowUnsafeHooksPath: true,
      allowUnsafeFsMonitor: true,
      allowUnsafeUrlRewrite: true,
      allowUnsafeCredentialHelper: true,
      allowUnsafeAskPass: true,
    },
  });
  return git.env(vars);
}

function gitEnv(env: GitEnvironment, url: string, token: Secret | undefined): Record<string, string> {
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
  const config: Array<[string, string]> = [['safe.directory', '*']];
  if (token) {
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
