import { parseArgs } from 'node:util';
import { WorkerClient, WorkerError, type ExecuteRequestBody, type JobEvent } from '../adapters/client/index.js';
import { JobRenderer } from '../adapters/terminal/job-renderer.js';

const usage = `usage: unified-worker run "<prompt>" [--provider claude-code] [--repo URL [--branch B]] [--resume ID] [--workspace PATH] [--model M] [--detach] [--json]
       unified-worker attach <jobId> [--after N] [--db-api URL --session ID] [--json]

run: runs one job on the worker at WORKER_URL (default http://127.0.0.1:5000) with WORKER_API_TOKEN.
  --detach lets the job run to its end without this terminal: its id is printed as it starts,
  and Ctrl-C leaves it running instead of cancelling it.
attach: follows a job already running or ended, from the event after seq N (default: all).
  --db-api reads it from the DB API at URL, session ID, with DB_API_TOKEN, when the worker no
  longer has it.
Credentials come from the environment, never the command line: CODING_ASSISTANT_ACCESS_TOKEN
for the assistant (unless the worker has its own), GITHUB_TOKEN for --repo.
Exit code 0 when the job completes, 1 when it ends with an error (its code is printed),
2 for a usage error, 130 when stopped with Ctrl-C.`;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      provider: { type: 'string', default: 'claude-code' },
      repo: { type: 'string' },
      branch: { type: 'string' },
      resume: { type: 'string' },
      workspace: { type: 'string' },
      model: { type: 'string' },
      detach: { type: 'boolean', default: false },
      after: { type: 'string' },
      'db-api': { type: 'string' },
      session: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

/** Thrown for a command line that does not make sense: exit 2 with the usage. */
class UsageError extends Error {}

function requestOf(prompt: string, values: Values, env: NodeJS.ProcessEnv): ExecuteRequestBody {
  return {
    userRequest: prompt,
    codingAssistantProvider: values.provider,
    ...(env.CODING_ASSISTANT_ACCESS_TOKEN && { codingAssistantAccessToken: env.CODING_ASSISTANT_ACCESS_TOKEN }),
    ...(values.resume && { resumeSessionId: values.resume }),
    ...(values.workspace && { workspace: values.workspace }),
    ...(values.model && { providerOptions: { model: values.model } }),
    ...(values.repo && {
      github: { repoUrl: values.repo, ...(values.branch && { branch: values.branch }), ...(env.GITHUB_TOKEN && { accessToken: env.GITHUB_TOKEN }) },
    }),
    ...(values.detach && { onDisconnect: 'continue' as const }),
  };
}

function attachOptions(values: Values, env: NodeJS.ProcessEnv) {
  const after = values.after === undefined ? undefined : Number(values.after);
  if (after !== undefined && !(/^\d+$/.test(values.after!) && Number.isSafeInteger(after))) throw new UsageError(`--after takes the seq of an event, not "${values.after}"`);
  if (values['db-api'] === undefined) return { after };
  if (!values.session) throw new UsageError('--db-api needs --session');
  if (!env.DB_API_TOKEN) throw new UsageError('--db-api reads DB_API_TOKEN from the environment; it is not set');
  return { after, dbApi: { baseUrl: values['db-api'], token: env.DB_API_TOKEN, sessionId: values.session } };
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, target, ...rest] = positionals;
  if (values.help || (command !== 'run' && command !== 'attach') || !target || rest.length > 0) {
    process.stderr.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  const env = process.env;
  const client = new WorkerClient({ baseUrl: env.WORKER_URL ?? 'http://127.0.0.1:5000', apiToken: env.WORKER_API_TOKEN });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  let attach;
  try {
    attach = command === 'attach' ? attachOptions(values, env) : undefined;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  const signal = controller.signal;
  const events = attach ? client.attach(target, { ...attach, signal }) : client.execute(requestOf(target, values, env), { signal });
  const follower = new Follower(values.json, command === 'run' && values.detach);
  try {
    for await (const event of events) follower.show(event);
    if (attach && follower.last === undefined) return await nothingAfter(client, target, attach.after);
    return follower.outcome;
  } catch (error) {
    if (controller.signal.aborted) {
      // Without --detach, closing the stream of `run` is what makes the worker cancel the job.
      process.stderr.write(command === 'run' && !values.detach ? 'cancelled\n' : follower.howToAttach(attach && target));
      return 130;
    }
    const message = error instanceof WorkerError ? `${error.code}: ${error.message}${error.issues.map((issue) => `\n  ${issue.path}: ${issue.message}`).join('')}` : String(error);
    process.stderr.write(`${message}\n`);
    return 1;
  }
}

/** Shows a job's events as they come and keeps what the exit code and a later attach need. */
class Follower {
  readonly #renderer = new JobRenderer(process.stdout);
  jobId: string | undefined;
  last: number | undefined;
  outcome = 1;

  constructor(
    private readonly json: boolean,
    private readonly detached: boolean,
  ) {}

  show(event: JobEvent): void {
    if (this.detached && this.jobId === undefined) {
      process.stderr.write(`job ${event.jobId} runs detached: Ctrl-C leaves it running; follow it with: unified-worker attach ${event.jobId}\n`);
    }
    this.jobId = event.jobId;
    this.last = event.seq;
    if (this.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else this.#renderer.render(event);
    if (event.type === 'completed') this.outcome = 0;
  }

  /** `attachedTo`: the job attach asked for; run learns its job's id from the first event. */
  howToAttach(attachedTo: string | undefined): string {
    const jobId = this.jobId ?? attachedTo;
    if (jobId === undefined) return 'left the job running; its id had not arrived yet\n';
    return `left job ${jobId} running; follow it with: unified-worker attach ${jobId}${this.last === undefined ? '' : ` --after ${this.last}`}\n`;
  }
}

/** An ended job with no events after `after` (204): its verdict, if the worker still knows it. */
async function nothingAfter(client: WorkerClient, jobId: string, after: number | undefined): Promise<number> {
  const terminal = (await client.job(jobId).catch(() => undefined))?.terminal;
  process.stderr.write(`job ${jobId} has ended${terminal ? ` (${terminal.type})` : ''}; no events after ${after ?? -1}\n`);
  return terminal?.type === 'error' ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
