import { parseArgs } from 'node:util';
import { WorkerClient, WorkerError, type ExecuteRequestBody } from '../adapters/client/index.js';
import { JobRenderer } from '../adapters/terminal/job-renderer.js';

const usage = `usage: unified-worker run "<prompt>" [--provider claude-code] [--repo URL [--branch B]] [--resume ID] [--workspace PATH] [--model M] [--json]

Runs one job on the worker at WORKER_URL (default http://127.0.0.1:5000) with WORKER_API_TOKEN.
Credentials come from the environment, never the command line: CODING_ASSISTANT_ACCESS_TOKEN
for the assistant (unless the worker has its own), GITHUB_TOKEN for --repo.
Exit code 0 when the job completes, 1 when it ends with an error (its code is printed),
2 for a usage error, 130 when cancelled with Ctrl-C.`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        provider: { type: 'string', default: 'claude-code' },
        repo: { type: 'string' },
        branch: { type: 'string' },
        resume: { type: 'string' },
        workspace: { type: 'string' },
        model: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, prompt, ...rest] = positionals;
  if (values.help || command !== 'run' || !prompt || rest.length > 0) {
    process.stderr.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  const env = process.env;
  const request: ExecuteRequestBody = {
    userRequest: prompt,
    codingAssistantProvider: values.provider,
    ...(env.CODING_ASSISTANT_ACCESS_TOKEN && { codingAssistantAccessToken: env.CODING_ASSISTANT_ACCESS_TOKEN }),
    ...(values.resume && { resumeSessionId: values.resume }),
    ...(values.workspace && { workspace: values.workspace }),
    ...(values.model && { providerOptions: { model: values.model } }),
    ...(values.repo && {
      github: { repoUrl: values.repo, ...(values.branch && { branch: values.branch }), ...(env.GITHUB_TOKEN && { accessToken: env.GITHUB_TOKEN }) },
    }),
  };
  const client = new WorkerClient({ baseUrl: env.WORKER_URL ?? 'http://127.0.0.1:5000', apiToken: env.WORKER_API_TOKEN });
  // Ctrl-C closes the stream, which makes the worker cancel the job.
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const renderer = new JobRenderer(process.stdout);
  let outcome = 1;
  try {
    for await (const event of client.execute(request, { signal: controller.signal })) {
      if (values.json) process.stdout.write(`${JSON.stringify(event)}\n`);
      else renderer.render(event);
      if (event.type === 'completed') outcome = 0;
    }
    return outcome;
  } catch (error) {
    if (controller.signal.aborted) {
      process.stderr.write('cancelled\n');
      return 130;
    }
    const message = error instanceof WorkerError ? `${error.code}: ${error.message}${error.issues.map((issue) => `\n  ${issue.path}: ${issue.message}`).join('')}` : String(error);
    process.stderr.write(`${message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
