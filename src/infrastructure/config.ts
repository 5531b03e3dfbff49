import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import * as v from 'valibot';
import type { JobBudget } from '../domain/budget.js';
import { Secret } from '../domain/secret.js';
import type { InstalledCli } from './installed-packages.js';

export type ProviderClis = Record<'claude' | 'codex' | 'gemini' | 'opencode' | 'copilot', InstalledCli>;

const flag = (fallback: boolean) =>
  v.pipe(
    v.optional(v.picklist(['true', 'false', '1', '0']), fallback ? 'true' : 'false'),
    v.transform((s) => s === 'true' || s === '1'),
  );

const integer = (fallback: number, min: number, max: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.transform(Number),
    v.integer('must be an integer'),
    v.minValue(min),
    v.maxValue(max),
  );

const optionalCount = v.optional(v.pipe(v.string(), v.transform(Number), v.integer('must be an integer'), v.minValue(1)));
const optionalUsd = v.optional(v.pipe(v.string(), v.transform(Number), v.number('must be a number'), v.gtValue(0, 'must be more than 0')));

const optionalPort = v.optional(v.pipe(v.string(), v.transform(Number), v.integer('must be an integer'), v.minValue(1), v.maxValue(65535)));

const optionalText = v.optional(v.pipe(v.string(), v.trim(), v.transform((s) => (s === '' ? undefined : s))));

// hono's bearer auth matches tokens against RFC 6750's token68 characters.
const apiTokenShape = /^[A-Za-z0-9._~+/-]{16,}=*$/;

/** Every variable the worker reads; valibot refuses a bad value at start, not mid-job. */
const envSchema = v.object({
  PORT: integer(5000, 0, 65535),
  CONTROL_PORT: optionalPort,
  // The control port's earlier name.
  HEALTH_PORT: optionalPort,
  HOST: optionalText,
  WORKER_API_TOKEN: optionalText,
  WORKER_API_TOKEN_FILE: optionalText,
  WORKER_ID: optionalText,
  WORKSPACE_DIR: optionalText,
  STATE_DIR: optionalText,
  EXIT_AFTER_JOB: flag(true),
  DEFAULT_JOB_MS: integer(30 * 60_000, 1000, 7 * 24 * 3_600_000),
  MAX_JOB_MS: integer(4 * 3_600_000, 1000, 7 * 24 * 3_600_000),
  // Budgets: a request's own within the ceiling, else the default; a looping agent stops at 100 turns.
  DEFAULT_MAX_TURNS: v.optional(v.pipe(v.string(), v.transform(Number), v.integer('must be an integer'), v.minValue(1))),
  MAX_TURNS: integer(500, 1, 1_000_000),
  DEFAULT_MAX_COST_USD: optionalUsd,
  MAX_COST_USD: optionalUsd,
  DEFAULT_MAX_TOKENS: optionalCount,
  MAX_TOKENS: optionalCount,
  SHUTDOWN_GRACE_MS: integer(10_000, 100, 600_000),
  DRAIN_TIMEOUT_MS: integer(0, 0, 7 * 24 * 3_600_000),
  HANDOFF_MS: integer(0, 0, 60_000),
  DB_FLUSH_TIMEOUT_MS: integer(10_000, 0, 600_000),
  DB_BASE_URL: v.optional(v.pipe(v.string(), v.url('must be a URL'), v.regex(/^https?:\/\//, 'must be an http(s) URL'))),
  DB_BATCH_SIZE: integer(200, 1, 10_000),
  DB_BATCH_INTERVAL_MS: integer(50, 0, 60_000),
  DB_BUFFER_MAX: integer(100_000, 1, 10_000_000),
  DB_REQUEST_TIMEOUT_MS: integer(10_000, 100, 600_000),
  DB_RETRY_BASE_MS: integer(100, 1, 60_000),
  DB_RETRY_MAX_MS: integer(5_000, 1, 600_000),
  DB_LEASE_TTL_MS: integer(30_000, 1000, 600_000),
  SSE_HEARTBEAT_MS: integer(15_000, 100, 600_000),
  EVENT_LOG_MEMORY_EVENTS: integer(10_000, 1, 10_000_000),
  EVENT_LOG_MEMORY_MB: integer(8, 1, 100_000),
  EVENT_LOG_FILE_MB: integer(256, 0, 10_000_000),
  JOB_RETENTION_MS: integer(10 * 60_000, 0, 7 * 24 * 3_600_000),
  JOB_RETENTION_MAX: integer(16, 1, 10_000),
  JOB_LINGER_MS: integer(5_000, 0, 600_000),
  WORK_MAX_MB: integer(10, 0, 10_000),
  SESSION_RETENTION_MS: integer(7 * 24 * 3_600_000, 0, 365 * 24 * 3_600_000),
  WEBHOOK_ALLOWED_HOSTS: v.optional(v.string(), ''),
  WEBHOOK_ALLOWED_INSECURE_HOSTS: v.optional(v.string(), ''),
  WEBHOOK_MAX_ATTEMPTS: integer(5, 1, 100),
  WEBHOOK_TIMEOUT_MS: integer(10_000, 100, 600_000),
  WEBHOOK_DEADLINE_MS: integer(60_000, 100, 3_600_000),
  WORKSPACE_MAX_MB: integer(10_240, 0, 10_000_000),
  WORKSPACE_CHECK_MS: integer(5000, 100, 600_000),
  MAX_ITEM_CHARS: integer(256 * 1024, 1024, 64 * 1024 * 1024),
  MAX_EVENTS_PER_SECOND: integer(1000, 0, 1_000_000),
  HTTP_HEADERS_TIMEOUT_MS: integer(10_000, 500, 600_000),
  HTTP_REQUEST_TIMEOUT_MS: integer(30_000, 500, 600_000),
  LOG_LEVEL: v.optional(v.picklist(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  CLAUDE_CODE_PATH: optionalText,
  ANTHROPIC_BASE_URL: v.optional(v.pipe(v.string(), v.url())),
  CLAUDE_CODE_CREDENTIALS_JSON: optionalText,
  CLAUDE_CODE_CREDENTIALS_SECRET: optionalText,
  CLAUDE_CODE_MAX_RETRIES: integer(3, 0, 15),
  PROVIDER_SILENCE_MS: integer(600_000, 0, 7 * 24 * 3_600_000),
  CLAUDE_PERMISSION_MODE: v.optional(v.picklist(['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk']), 'acceptEdits'),
  CLAUDE_SANDBOX: flag(false),
  CREDENTIAL_PROXY: flag(true),
  AGENT_USER: optionalText,
  CODEX_PATH: optionalText,
  CODEX_BASE_URL: v.optional(v.pipe(v.string(), v.url())),
  CODEX_AUTH_JSON: optionalText,
  CODEX_AUTH_SECRET: optionalText,
  CODEX_MODEL: optionalText,
  CODEX_MAX_RETRIES: integer(2, 0, 10),
  CODEX_SANDBOX: v.optional(v.picklist(['read-only', 'workspace-write', 'danger-full-access']), 'workspace-write'),
  OPENCODE_PATH: optionalText,
  OPENCODE_BASE_URL: v.optional(v.pipe(v.string(), v.url())),
  OPENCODE_MODEL: optionalText,
  COPILOT_PATH: optionalText,
  COPILOT_BASE_URL: v.optional(v.pipe(v.string(), v.url())),
  COPILOT_MODEL: optionalText,
  COPILOT_CACHE_DIR: optionalText,
  CURSOR_PATH: optionalText,
  CURSOR_MODEL: optionalText,
  GEMINI_PATH: optionalText,
  GEMINI_BASE_URL: v.optional(v.pipe(v.string(), v.url())),
  GEMINI_MODEL: optionalText,
  GEMINI_MAX_ATTEMPTS: integer(3, 1, 10),
  GEMINI_APPROVAL_MODE: v.optional(v.picklist(['default', 'auto_edit', 'yolo']), 'auto_edit'),
  GIT_ALLOWED_HOSTS: v.optional(v.string(), 'github.com'),
  GIT_ALLOWED_INSECURE_HOSTS: v.optional(v.string(), ''),
  GIT_TIMEOUT_MS: integer(120_000, 1000, 3_600_000),
  GIT_CACHE_DIR: optionalText,
  GIT_AUTHOR_NAME: v.optional(v.pipe(v.string(), v.minLength(1)), 'unified-worker'),
  GIT_AUTHOR_EMAIL: v.optional(v.pipe(v.string(), v.minLength(3)), 'unified-worker@users.noreply.github.com'),
  PATH: v.optional(v.string(), '/usr/local/bin:/usr/bin:/bin'),
  LANG: v.optional(v.string(), 'C.UTF-8'),
});

export interface Config {
  port: number;
  /** A second port answering /health, /ready, /status and /metrics from start to exit. */
  controlPort?: number;
  host: string;
  apiToken?: Secret;
  workerId: string;
  workspaceDir: string;
  stateDir: string;
  exitAfterJob: boolean;
  defaultJobMs: number;
  maxJobMs: number;
  /** What a job may spend when its request says nothing, and the most a request may ask for. */
  budgets: { defaults: JobBudget; ceilings: JobBudget };
  shutdownGraceMs: number;
  /** How long SIGTERM lets a running job go on to its end before it is cancelled. */
  drainMs: number;
  /** The most a worker leaving the pool waits for its balancer's readiness check to see it. */
  handoffMs: number;
  flushTimeoutMs: number;
  database?: {
    baseUrl: string;
    batchSize: number;
    batchIntervalMs: number;
    bufferMax: number;
    requestTimeoutMs: number;
    baseMs: number;
    maxMs: number;
    /** A running job's lease in the DB API lasts this long, renewed at a third of it. */
    leaseTtlMs: number;
  };
  heartbeatMs: number;
  /** Each job's events: the newest in memory, older ones in a file under stateDir, up to a limit. */
  eventLog: { memoryEvents: number; memoryChars: number; fileBytes: number };
  /** How long a long-running worker keeps an ended job's events, and how many jobs at most. */
  jobRetention: { ms: number; max: number };
  /** How long a one-job worker stays up after its job for a reader that has not had the verdict. */
  lingerMs: number;
  /** The most uncommitted work (a git diff) kept with a session. */
  maxWorkBytes: number;
  /** How long a session saved under stateDir is kept after its last save; 0: for ever. */
  sessionRetentionMs: number;
  /** Where webhooks may go, and how long one may take: each attempt, and every attempt together. */
  webhook: { allowedHosts: string[]; insecureHosts: string[]; maxAttempts: number; requestTimeoutMs: number; deadlineMs: number };
  maxItemChars: number;
  maxEventsPerSecond: number;
  /** A job's workspace limit on disk (0: none), and how often a running job's is measured. */
  workspaceLimit: { maxBytes: number; checkMs: number };
  /** How long a client may take to send its headers, and its whole request (never the response). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  logLevel: string;
  /** Providers' CLIs reach the model API through a per-job proxy that holds the real key (off only for debugging). */
  credentialProxy: boolean;
  claude: {
    executable: string;
    version?: string;
    baseUrl?: string;
    credentialsJson?: Secret;
    maxRetries: number;
    silenceMs: number;
    defaultPermissionMode: string;
    sandbox: boolean;
  };
  codex: {
    executable: string;
    version?: string;
    baseUrl?: string;
    authJson?: Secret;
    defaultModel?: string;
    maxRetries: number;
    silenceMs: number;
    defaultSandbox: string;
  };
  gemini: {
    executable: string;
    version?: string;
    baseUrl?: string;
    defaultModel?: string;
    maxAttempts: number;
    silenceMs: number;
    defaultApprovalMode: string;
  };
  opencode: {
    executable: string;
    version?: string;
    baseUrl?: string;
    defaultModel?: string;
    silenceMs: number;
  };
  cursor: {
    executable: string;
    defaultModel?: string;
    silenceMs: number;
  };
  copilot: {
    executable: string;
    version?: string;
    /** Shared by every job: the CLI unpacks itself there once. */
    cacheDir?: string;
    baseUrl?: string;
    defaultModel?: string;
    silenceMs: number;
  };
  git: {
    allowedHosts: string[];
    insecureHosts: string[];
    timeoutMs: number;
    cacheDir?: string;
    authorName: string;
    authorEmail: string;
  };
  /** The unprivileged user the assistants' CLIs run as; unset: the worker's own. */
  agentUser?: { uid: number; gid: number; setpriv: string };
  path: string;
  lang: string;
  version: string;
}

const hostList = (value: string): string[] =>
  value.split(',').map((host) => host.trim().toLowerCase()).filter(Boolean);

export class ConfigError extends Error {}

const loopback = new Set(['127.0.0.1', 'localhost', '::1']);

/** The environment as Config; the only reader of process.env. */
export function loadConfig(env: NodeJS.ProcessEnv, context: { cwd: string; version: string; clis: ProviderClis }): Config {
  const parsed = v.safeParse(envSchema, env);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new ConfigError(`${v.getDotPath(issue) ?? 'environment'}: ${issue.message}`);
  }
  const e = parsed.output;
  const apiToken = readSecret(e.WORKER_API_TOKEN, e.WORKER_API_TOKEN_FILE, 'WORKER_API_TOKEN');
  if (apiToken && !apiTokenShape.test(apiToken.reveal())) {
    throw new ConfigError('WORKER_API_TOKEN: must be at least 16 characters of A-Z a-z 0-9 . _ ~ + / -');
  }
  const host = e.HOST ?? (apiToken ? '0.0.0.0' : '127.0.0.1');
  if (!apiToken && !loopback.has(host)) {
    throw new ConfigError(`HOST ${host}: refusing to listen beyond loopback without WORKER_API_TOKEN`);
  }
  const workspaceDir = resolve(context.cwd, e.WORKSPACE_DIR ?? '.workspaces');
  if (e.DEFAULT_JOB_MS > e.MAX_JOB_MS) throw new ConfigError('DEFAULT_JOB_MS: must not exceed MAX_JOB_MS');
  for (const [fallback, ceiling] of [['DEFAULT_MAX_TURNS', 'MAX_TURNS'], ['DEFAULT_MAX_COST_USD', 'MAX_COST_USD'], ['DEFAULT_MAX_TOKENS', 'MAX_TOKENS']] as const) {
    const [low, high] = [e[fallback], e[ceiling]];
    if (low !== undefined && high !== undefined && low > high) throw new ConfigError(`${fallback}: must not exceed ${ceiling}`);
  }
  return {
    port: e.PORT,
    controlPort: e.CONTROL_PORT ?? e.HEALTH_PORT,
    host,
    apiToken,
    // Unique per process, so replicas or workers that share a host tell themselves apart.
    workerId: e.WORKER_ID ?? `${hostname()}-${process.pid}`,
    workspaceDir,
    stateDir: resolve(context.cwd, e.STATE_DIR ?? join(workspaceDir, '.unified-worker')),
    exitAfterJob: e.EXIT_AFTER_JOB,
    defaultJobMs: e.DEFAULT_JOB_MS,
    maxJobMs: e.MAX_JOB_MS,
    budgets: {
      // Unset, the default turn budget is 100, or the ceiling when an operator set it lower.
      defaults: { maxTurns: e.DEFAULT_MAX_TURNS ?? Math.min(100, e.MAX_TURNS), maxCostUsd: e.DEFAULT_MAX_COST_USD, maxTokens: e.DEFAULT_MAX_TOKENS },
      ceilings: { maxTurns: e.MAX_TURNS, maxCostUsd: e.MAX_COST_USD, maxTokens: e.MAX_TOKENS },
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    drainMs: e.DRAIN_TIMEOUT_MS,
    handoffMs: e.HANDOFF_MS,
    flushTimeoutMs: e.DB_FLUSH_TIMEOUT_MS,
    database: e.DB_BASE_URL
      ? {
          baseUrl: e.DB_BASE_URL,
          batchSize: e.DB_BATCH_SIZE,
          batchIntervalMs: e.DB_BATCH_INTERVAL_MS,
          bufferMax: e.DB_BUFFER_MAX,
          requestTimeoutMs: e.DB_REQUEST_TIMEOUT_MS,
          baseMs: e.DB_RETRY_BASE_MS,
          maxMs: e.DB_RETRY_MAX_MS,
          leaseTtlMs: e.DB_LEASE_TTL_MS,
        }
      : undefined,
    heartbeatMs: e.SSE_HEARTBEAT_MS,
    eventLog: { memoryEvents: e.EVENT_LOG_MEMORY_EVENTS, memoryChars: e.EVENT_LOG_MEMORY_MB * 1024 * 1024, fileBytes: e.EVENT_LOG_FILE_MB * 1024 * 1024 },
    jobRetention: { ms: e.JOB_RETENTION_MS, max: e.JOB_RETENTION_MAX },
    lingerMs: e.JOB_LINGER_MS,
    maxWorkBytes: e.WORK_MAX_MB * 1024 * 1024,
    sessionRetentionMs: e.SESSION_RETENTION_MS,
    webhook: {
      allowedHosts: hostList(e.WEBHOOK_ALLOWED_HOSTS),
      insecureHosts: hostList(e.WEBHOOK_ALLOWED_INSECURE_HOSTS),
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      requestTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
      deadlineMs: e.WEBHOOK_DEADLINE_MS,
    },
    maxItemChars: e.MAX_ITEM_CHARS,
    maxEventsPerSecond: e.MAX_EVENTS_PER_SECOND,
    workspaceLimit: { maxBytes: e.WORKSPACE_MAX_MB * 1024 * 1024, checkMs: e.WORKSPACE_CHECK_MS },
    headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: Math.max(e.HTTP_REQUEST_TIMEOUT_MS, e.HTTP_HEADERS_TIMEOUT_MS),
    logLevel: e.LOG_LEVEL,
    credentialProxy: e.CREDENTIAL_PROXY,
    claude: {
      ...installed(e.CLAUDE_CODE_PATH, context.clis.claude),
      baseUrl: e.ANTHROPIC_BASE_URL,
      credentialsJson: readSecret(e.CLAUDE_CODE_CREDENTIALS_JSON, e.CLAUDE_CODE_CREDENTIALS_SECRET, 'CLAUDE_CODE_CREDENTIALS'),
      maxRetries: e.CLAUDE_CODE_MAX_RETRIES,
      silenceMs: e.PROVIDER_SILENCE_MS,
      defaultPermissionMode: e.CLAUDE_PERMISSION_MODE,
      sandbox: e.CLAUDE_SANDBOX,
    },
    codex: {
      ...installed(e.CODEX_PATH, context.clis.codex),
      baseUrl: e.CODEX_BASE_URL,
      authJson: readSecret(e.CODEX_AUTH_JSON, e.CODEX_AUTH_SECRET, 'CODEX_AUTH'),
      defaultModel: e.CODEX_MODEL ?? (e.CODEX_BASE_URL ? codexGatewayModel : undefined),
      maxRetries: e.CODEX_MAX_RETRIES,
      silenceMs: e.PROVIDER_SILENCE_MS,
      defaultSandbox: e.CODEX_SANDBOX,
    },
    gemini: {
      ...installed(e.GEMINI_PATH, context.clis.gemini),
      baseUrl: e.GEMINI_BASE_URL,
      defaultModel: e.GEMINI_MODEL,
      maxAttempts: e.GEMINI_MAX_ATTEMPTS,
      silenceMs: e.PROVIDER_SILENCE_MS,
      defaultApprovalMode: e.GEMINI_APPROVAL_MODE,
    },
    opencode: {
      ...installed(e.OPENCODE_PATH, context.clis.opencode),
      baseUrl: e.OPENCODE_BASE_URL,
      defaultModel: e.OPENCODE_MODEL,
      silenceMs: e.PROVIDER_SILENCE_MS,
    },
    cursor: { executable: e.CURSOR_PATH ?? 'cursor-agent', defaultModel: e.CURSOR_MODEL, silenceMs: e.PROVIDER_SILENCE_MS },
    copilot: {
      ...installed(e.COPILOT_PATH, context.clis.copilot),
      cacheDir: e.COPILOT_CACHE_DIR && resolve(context.cwd, e.COPILOT_CACHE_DIR),
      baseUrl: e.COPILOT_BASE_URL,
      defaultModel: e.COPILOT_MODEL,
      silenceMs: e.PROVIDER_SILENCE_MS,
    },
    git: {
      allowedHosts: hostList(e.GIT_ALLOWED_HOSTS),
      insecureHosts: hostList(e.GIT_ALLOWED_INSECURE_HOSTS),
      timeoutMs: e.GIT_TIMEOUT_MS,
      cacheDir: e.GIT_CACHE_DIR && resolve(context.cwd, e.GIT_CACHE_DIR),
      authorName: e.GIT_AUTHOR_NAME,
      authorEmail: e.GIT_AUTHOR_EMAIL,
    },
    agentUser: e.AGENT_USER === undefined ? undefined : { ...agentUserOf(e.AGENT_USER), setpriv: setprivOf(e.PATH) },
    path: e.PATH,
    lang: e.LANG,
    version: context.version,
  };
}

/**
 * Codex's own default model runs in its "code mode", whose tools a gateway or mock rarely
 * speaks; a named model gets plain function tools. Against OpenAI itself Codex keeps its choice.
 */
const codexGatewayModel = 'gpt-5.1-codex';

/** An operator's explicit path wins over the pinned package; its version is then unknown. */
const installed = (override: string | undefined, cli: InstalledCli): InstalledCli => (override ? { executable: override } : cli);

/** `uid:gid`, or a user name looked up in /etc/passwd; never root. */
function agentUserOf(value: string): { uid: number; gid: number } {
  const numeric = /^(\d+):(\d+)$/.exec(value);
  let user: { uid: number; gid: number } | undefined;
  if (numeric) user = { uid: Number(numeric[1]), gid: Number(numeric[2]) };
  else {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.split(':')[0] === value);
    const [, , uid, gid] = line?.split(':') ?? [];
    if (uid !== undefined && gid !== undefined) user = { uid: Number(uid), gid: Number(gid) };
  }
  if (!user) throw new ConfigError(`AGENT_USER: no user ${value} (give a name from /etc/passwd or uid:gid)`);
  if (user.uid === 0) throw new ConfigError('AGENT_USER: must not be root');
  return user;
}

/**
 * util-linux's setpriv, which starts the agent's CLI with no_new_privs: no setuid binary or file
 * capability can raise what it runs later. Stack files cannot set it (docker stack deploy drops
 * security_opt), so the worker does.
 */
function setprivOf(path: string): string {
  const found = path.split(':').map((dir) => join(dir, 'setpriv')).find((file) => existsSync(file));
  if (!found) throw new ConfigError('AGENT_USER: needs setpriv (util-linux) on PATH, to start the agent without new privileges');
  return found;
}

/** A secret given inline or as the path of a file (a Docker secret); never both. */
function readSecret(inline: string | undefined, file: string | undefined, name: string): Secret | undefined {
  if (inline && file) throw new ConfigError(`${name}: set the value or the file, not both`);
  if (inline) return new Secret(inline);
  if (!file) return undefined;
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (!value) throw new ConfigError(`${name}: the file ${file} is empty`);
    return new Secret(value);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${name}: cannot read ${file}`);
  }
}
