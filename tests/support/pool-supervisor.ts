import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { projectRoot, startWorker, type WorkerProcess } from './worker-process.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** A worker's two ports: jobs, and health, readiness and metrics. */
export interface WorkerPorts {
  port: number;
  controlPort: number;
}

export async function freeWorkerPorts(count: number): Promise<WorkerPorts[]> {
  return Promise.all(Array.from({ length: count }, async () => ({ port: await freePort(), controlPort: await freePort() })));
}

export interface Instance {
  slot: number;
  port: number;
  controlPort: number;
  worker: WorkerProcess;
  /** How many jobs this process took, from its own log. */
  jobs(): number;
}

/**
 * K worker slots, each restarted on its own port when its process exits, as Swarm replaces an
 * exited task: the stand-in for the pool in tests.
 */
export class PoolSupervisor {
  readonly instances: Instance[] = [];
  #stopping = false;
  #restarts: Promise<unknown>[] = [];

  constructor(private readonly env: (slot: number) => Record<string, string>) {}

  async start(ports: WorkerPorts[]): Promise<void> {
    await Promise.all(ports.map((p, slot) => this.#launch(slot, p)));
  }

  live(): Instance[] {
    return this.instances.filter((i) => i.worker.child.exitCode === null && i.worker.child.signalCode === null);
  }

  /** Stops restarting, sends `signal` to every live process and waits for all to exit. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    this.#stopping = true;
    await Promise.allSettled(this.#restarts);
    const live = this.live();
    for (const instance of live) instance.worker.child.kill(signal);
    await Promise.all(live.map((instance) => instance.worker.exited));
  }

  async #launch(slot: number, ports: WorkerPorts): Promise<void> {
    const worker = await startWorker({ env: { ...this.env(slot), PORT: String(ports.port), CONTROL_PORT: String(ports.controlPort) } });
    const instance: Instance = {
      slot,
      ...ports,
      worker,
      jobs: () => worker.output.filter((line) => line.includes('"msg":"job started"')).length,
    };
    this.instances.push(instance);
    void worker.exited.then(() => {
      if (!this.#stopping) this.#restarts.push(this.#launch(slot, ports));
    });
  }
}

/** deploy/haproxy/haproxy.cfg with loopback workers, listening on `port`, its Lua from the checkout. */
export function renderHaproxyConfig(template: string, port: number, workers: WorkerPorts[]): string {
  const servers = workers.map((w, i) => `    server worker${i + 1} 127.0.0.1:${w.port} port ${w.controlPort}`).join('\n');
  return template
    .replace(/^\s*bind :8080$/m, `    bind 127.0.0.1:${port}`)
    .replace(/^\s*server-template .*$/m, servers)
    .replace(/^resolvers docker\n(?:[ \t]+.*\n)+/m, '')
    .replaceAll('/usr/local/etc/haproxy/', `${join(projectRoot, 'deploy/haproxy')}/`);
}

/** HAProxy from Debian running deploy/haproxy/haproxy.cfg, with loopback servers in place of Swarm's tasks. */
export async function startHaproxy(dir: string, workers: WorkerPorts[]): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const config = renderHaproxyConfig(await readFile(join(projectRoot, 'deploy/haproxy/haproxy.cfg'), 'utf8'), port, workers);
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, config);
  // -q: HAProxy reports every health-check change on stderr, and the pool changes all the time.
  const child = spawn('haproxy', ['-q', '-f', file, '-db'], { stdio: 'ignore' });
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error('haproxy exited at start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
