import { spawn, type ChildProcess } from 'node:child_process';
import { descendantsOf, isAlive, processGroupOf, signal } from '../shared/process-tree.js';
import { agentCommand, handOver, sweep, type AgentUser } from './agent-user.js';

export interface CliSpec {
  command: string;
  args: string[];
  cwd: string;
  /** The child's whole environment: nothing is inherited from the worker. */
  env: Record<string, string>;
  /** Written to stdin, which is then closed; without it stdin is /dev/null (some CLIs wait on an open pipe). */
  stdin?: string;
  /**
   * The CLI is killed (and `stalled` set) when its stdout stays silent this long while its
   * reader waits; no CLI bounds a silent model API sensibly (Claude Code waits 300 s and more).
   */
  silenceMs?: number;
  /** Run as this user instead of the worker's; whatever it leaves running is ended with the run. */
  user?: AgentUser;
  /** Directories the user must own to work (its workspace, its HOME); the worker, root, still reads them. */
  owns?: string[];
  /** Stdout lines longer than this are dropped (and counted) instead of held whole. */
  maxLineBytes?: number;
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const stderrTailLines = 20;
// What is kept of stderr to find that tail in: a CLI printing one endless line costs no more.
const stderrTailChars = 8192;
// Far beyond any real line (Claude Code parks tool outputs over ~30 KB in files), far below
// what would take the worker down.
const defaultMaxLineBytes = 64 * 1024 * 1024;
// Claude Code and the others exit within ~150 ms of SIGTERM; past this they get SIGKILL.
const killGraceMs = 400;

/**
 * A provider CLI running in its own process group: the one place children are spawned and
 * killed. Stdout is read line by line with backpressure; stderr keeps only its tail.
 */
export class CliProcess {
  readonly exit: Promise<CliExit>;
  readonly #child: ChildProcess;
  #stderr = '';
  readonly #silenceMs: number;
  readonly #maxLineBytes: number;
  #droppedLines = 0;
  #killing: Promise<void> | undefined;
  readonly #user: AgentUser | undefined;
  #stalled = false;
  #notStarted = false;
  #leftovers = 0;

  private constructor(child: ChildProcess, silenceMs = 0, user?: AgentUser, maxLineBytes = defaultMaxLineBytes) {
    this.#child = child;
    this.#silenceMs = silenceMs;
    this.#user = user;
    this.#maxLineBytes = maxLineBytes;
    // Not events.once: it rejects on 'error', and a spawn that fails emits 'error' before 'close'.
    this.exit = new Promise((resolve) => child.once('close', (code, sig) => resolve({ code, signal: sig })));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-stderrTailChars);
    });
  }

  /** Hands the user its directories, then starts the CLI. */
  static async launch(spec: CliSpec, abort: AbortSignal): Promise<CliProcess> {
    if (spec.user) for (const dir of spec.owns ?? []) await handOver(dir, spec.user);
    return CliProcess.start(spec, abort);
  }

  static start(spec: CliSpec, abort: AbortSignal): CliProcess {
    const { command, args } = spec.user ? agentCommand(spec.user, spec.command, spec.args) : spec;
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(spec.user && { uid: spec.user.uid, gid: spec.user.gid }),
    });
    const cli = new CliProcess(child, spec.silenceMs, spec.user, spec.maxLineBytes);
    child.on('error', () => {
      // Its message names host paths (and a NUL-bearing argument would be echoed): only the fact is kept.
      cli.#notStarted = child.pid === undefined;
    });
    if (spec.stdin !== undefined) {
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(spec.stdin);
    }
    const onAbort = (): void => void cli.kill();
    abort.addEventListener('abort', onAbort, { once: true });
    void cli.exit.then(() => abort.removeEventListener('abort', onAbort));
    if (abort.aborted) onAbort();
    return cli;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** True when the executable could not be started at all (missing, not executable). */
  get notStarted(): boolean {
    return this.#notStarted;
  }

  /** True when the CLI was killed for staying silent. */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** Stdout, one line at a time, lines over maxLineBytes left out; see lineBatches(). */
  async *lines(): AsyncGenerator<string> {
    for await (const batch of this.lineBatches()) for (const line of batch) if (line !== null) yield line;
  }

  /**
   * Stdout as the complete lines of each read: a busy CLI's read holds dozens, handled without
   * an await for each. The stream is read only as the consumer pulls, so a consumer that stops
   * pulling stops the reads, the pipe fills and the child blocks on its writes: backpressure
   * instead of memory. Lines are found in the bytes and each is decoded once (a newline byte is
   * never part of a multi-byte character). (readline costs several times more a line.)
   */
  async *lineBatches(): AsyncGenerator<Array<string | null>> {
    const chunks = (this.#child.stdout! as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    // The start of a line whose end has not arrived yet, in pieces: joined once, when it does.
    let pieces: Buffer[] = [];
    let held = 0;
    // Inside a line over maxLineBytes: everything up to its newline is passed over.
    let skipping = false;
    // Silence counts only while this reader waits: a reader held back by a slow client is not a stalled CLI.
    for (let next = await this.#watch(chunks.next()); !next.done; next = await this.#watch(chunks.next())) {
      const chunk = next.value;
      // null where a line over maxLineBytes was passed over, so that the reader can say so.
      const batch: Array<string | null> = [];
      let start = 0;
      for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
        if (skipping) {
          skipping = false;
        } else if (pieces.length > 0) {
          pieces.push(chunk.subarray(0, end));
          const joined = Buffer.concat(pieces, held + end);
          pieces = [];
          held = 0;
          batch.push(joined.length > this.#maxLineBytes ? this.#drop() : lineOf(joined, 0, joined.length));
        } else if (end - start > this.#maxLineBytes) {
          batch.push(this.#drop());
        } else {
          batch.push(lineOf(chunk, start, end));
        }
        start = end + 1;
      }
      if (start < chunk.length && !skipping) {
        held += chunk.length - start;
        pieces.push(start === 0 ? chunk : chunk.subarray(start));
        if (held > this.#maxLineBytes) {
          pieces = [];
          held = 0;
          skipping = true;
          batch.push(this.#drop());
        }
      }
      if (batch.length > 0) yield batch;
    }
    if (pieces.length > 0) {
      const joined = Buffer.concat(pieces, held);
      yield [lineOf(joined, 0, joined.length)];
    }
  }

  #drop(): null {
    this.#droppedLines += 1;
    return null;
  }

  #watch<T>(pending: Promise<T>): Promise<T> {
    if (this.#silenceMs <= 0) return pending;
    const timer = setTimeout(() => {
      this.#stalled = true;
      void this.kill();
    }, this.#silenceMs);
    return pending.finally(() => clearTimeout(timer));
  }

  /** Stdout lines dropped for being longer than maxLineBytes. */
  get droppedLines(): number {
    return this.#droppedLines;
  }

  stderrTail(): string {
    return this.#stderr.split(/\r?\n/).filter(Boolean).slice(-stderrTailLines).join('\n');
  }

  /** Ends the CLI and everything it started: SIGTERM, then SIGKILL to what is left. */
  kill(): Promise<void> {
    this.#killing ??= this.#killTree();
    return this.#killing;
  }

  /** Processes of the agent's user that were still running after the CLI and were killed. */
  get leftovers(): number {
    return this.#leftovers;
  }

  /** After a normal exit: anything the CLI left running in its group, or as its user, goes too. */
  reapGroup(): void {
    if (this.#child.pid !== undefined) signal(-this.#child.pid, 'SIGKILL');
    this.#sweep();
  }

  #sweep(): void {
    if (this.#user) this.#leftovers += sweep(this.#user);
  }

  async #killTree(): Promise<void> {
    const root = this.#child.pid;
    if (root === undefined) return;
    // Once reaped (the end of every job that ran to its end), what it started hangs below init,
    // where no walk of /proc from its pid, perhaps another process's by now, finds it: its group
    // is still signalled.
    const reaped = this.#child.exitCode !== null || this.#child.signalCode !== null;
    const tree = reaped ? [] : [root, ...descendantsOf(root)];
    // The groups of the sessions its tools started (setsid): a shell there may start its next
    // command between the walk and the signal, and that one joins the shell's group.
    const own = processGroupOf(process.pid);
    const groups = new Set([root, ...tree.map(processGroupOf).filter((group): group is number => group !== undefined && group > 1 && group !== own)]);
    for (const group of groups) signal(-group, 'SIGTERM');
    for (const pid of tree) signal(pid, 'SIGTERM');
    const exited = await Promise.race([
      this.exit.then(() => true),
      new Promise<false>((resolve) => setTimeout(resolve, killGraceMs, false).unref()),
    ]);
    const stragglers = new Set([...tree, ...(exited || reaped ? [] : descendantsOf(root))]);
    for (const group of groups) signal(-group, 'SIGKILL');
    for (const pid of stragglers) if (isAlive(pid)) signal(pid, 'SIGKILL');
    await this.exit;
    this.#sweep();
  }
}

/** The text of bytes start..end, without the carriage return of a CRLF line end. */
function lineOf(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('utf8', start, end > start && bytes[end - 1] === 13 ? end - 1 : end);
}
