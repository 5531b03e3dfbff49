import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Every line the worker wrote to stdout and stderr. */
  readonly output: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log entry whose msg is `message`. */
  logged(message: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface StartOptions {
  env: Record<string, string>;
  /** Run through `npm start`, exactly as the README does, instead of the built bundle. */
  viaNpm?: boolean;
}

/** Starts the built worker (dist/worker.mjs) with only the given environment plus PATH. */
export async function startWorker({ env, viaNpm = false }: StartOptions): Promise<WorkerProcess> {
  // The flags npm start gives the worker (package.json), so the tests run it as users do.
  const [command, args] = viaNpm ? ['npm', ['start', '--silent']] : [process.execPath, ['--max-semi-space-size=16', 'dist/worker.mjs']];
  const child = spawn(command, args, {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: '0', LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const waiters: Array<{ message: string; resolve: (entry: Record<string, unknown>) => void }> = [];
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const onLine = (line: string): void => {
    output.push(line);
    const entry = parseLog(line);
    if (!entry) return;
    for (const waiter of waiters.filter((w) => w.message === entry.msg)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(entry);
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const logged = (message: string): Promise<Record<string, unknown>> => {
    const seen = output.map(parseLog).find((entry) => entry?.msg === message);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => waiters.push({ message, resolve }));
  };
  const listening = await Promise.race([
    logged('listening'),
    exited.then((exit) => {
      throw new Error(`worker exited before listening (${JSON.stringify(exit)}):\n${output.join('\n')}`);
    }),
  ]);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await exited;
  };
  return { url: `http://127.0.0.1:${listening.port}`, pid: child.pid!, child, output, exited, logged, stop };
}

function parseLog(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
