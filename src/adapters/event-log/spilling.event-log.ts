import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventLogPort, JobEventLog, LogRead, LoggedFrames } from '../../application/ports/event-log.port.js';
import { sseFrame } from '../shared/sse-frame.js';

export interface EventLogSettings {
  /** Where each job's spilled events go, one file per job. */
  dir: string;
  /** The newest events kept in memory: at most about this many ... */
  memoryEvents: number;
  /** ... and at most about this many bytes of their frames. */
  memoryChars: number;
  /** The most a job's file may hold; older events beyond it are no longer kept. */
  fileBytes: number;
  /** Frames are encoded into blocks of this size, the unit memory is freed by (256 KiB). */
  blockBytes?: number;
}

const defaultBlockBytes = 256 * 1024;
// UTF-8 takes at most three bytes for each UTF-16 code unit.
const maxBytesPerUnit = 3;
const maxSpareBlocks = 4;

/** Event logs that keep the newest events in memory and move older ones to a file. */
export class SpillingEventLogs implements EventLogPort {
  constructor(private readonly settings: EventLogSettings) {}

  open(jobId: string): JobEventLog {
    return new SpillingEventLog(join(this.settings.dir, `${jobId}.sse`), this.settings);
  }
}

interface Block {
  bytes: Buffer;
  used: number;
  /** Where the block starts in the job's stream of frames, in bytes from seq 0. */
  start: number;
  /** The seq of its first frame. */
  first: number;
}

/**
 * A job's events as one stream of SSE frames, addressed by byte offset from seq 0 (`#starts[seq]`):
 * the head of it in a file, the tail in memory, in blocks of bytes. Events are UTF-8 encoded
 * once, into memory the garbage collector does not walk: a busy job churns through a hundred
 * thousand events, and as strings each would live long enough to be promoted and collected
 * late. Beyond the memory bound the oldest block goes to the file whole; beyond the file's
 * bound it is dropped, and the events in it answer `gone`.
 */
class SpillingEventLog implements JobEventLog {
  #blocks: Block[] = [];
  #memoryBytes = 0;
  /** Offsets in bytes of each event's frame; one past the last is #end. */
  #starts: number[] = [];
  #end = 0;
  #lastSeq = -1;
  #ended = false;
  #discarded = false;
  #waiters: Array<() => void> = [];

  /** The file holds the stream's bytes [0, #fileEnd). */
  #fileEnd = 0;
  #fileClosed = false;
  #fileBroken = false;
  #writing: Promise<void> = Promise.resolve();
  /** Bytes handed to the file and not yet written; past a bound, appending waits for them. */
  #unwritten = 0;
  #writable: Array<() => void> = [];
  #handle: FileHandle | undefined;
  /** Blocks out of use, kept for the next ones: a flood would otherwise leave a dead block
   * behind every 256 KiB, freed only by a full collection, long after (about 100 MB seen). */
  #spare: Buffer[] = [];

  constructor(
    private readonly path: string,
    private readonly settings: EventLogSettings,
  ) {}

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get ended(): boolean {
    return this.#ended;
  }

  append(seq: number, type: string, json: string): Promise<void> | undefined {
    if (this.#ended || this.#discarded) return undefined;
    const frame = sseFrame(seq, type, json);
    let block = this.#blocks.at(-1);
    const room = frame.length * maxBytesPerUnit;
    if (!block || block.used + room > block.bytes.length) {
      block = { bytes: this.#newBlockBytes(room), used: 0, start: this.#end, first: seq };
      this.#blocks.push(block);
      this.#memoryBytes += block.bytes.length;
    }
    const written = block.bytes.write(frame, block.used);
    block.used += written;
    this.#starts.push(this.#end);
    this.#end += written;
    this.#lastSeq = seq;
    while (this.#blocks.length > 1 && (this.#memoryBytes > this.settings.memoryChars || this.#inMemory > this.settings.memoryEvents)) this.#evict();
    this.#wake();
    if (this.#unwritten <= this.#unwrittenMax) return undefined;
    return new Promise((resolve) => this.#writable.push(resolve));
  }

  get #unwrittenMax(): number {
    return Math.max(2 * (this.settings.blockBytes ?? defaultBlockBytes), this.settings.memoryChars / 2);
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  async read(after: number, maxChars: number): Promise<LogRead> {
    const next = after + 1;
    if (this.#discarded) return { kind: 'gone', firstKept: this.#lastSeq + 1 };
    if (next > this.#lastSeq) return { kind: 'none' };
    const memoryFirst = this.#blocks[0]?.first ?? this.#lastSeq + 1;
    if (next >= memoryFirst) return { kind: 'frames', run: this.#fromMemory(next, maxChars) };
    // The file holds the frames that end within its bytes; the rest before memory are lost.
    if (this.#starts[next + 1]! > this.#fileEnd || this.#fileBroken) return { kind: 'gone', firstKept: memoryFirst };
    const run = await this.#fromFile(next, maxChars);
    return run ? { kind: 'frames', run } : { kind: 'gone', firstKept: memoryFirst };
  }

  waitAfter(seq: number, signal: AbortSignal): Promise<void> {
    if (this.#lastSeq > seq || this.#ended || this.#discarded || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.#waiters.push(done);
    });
  }

  async discard(): Promise<void> {
    this.#discarded = true;
    for (const resume of this.#writable.splice(0)) resume();
    this.#blocks = [];
    this.#spare = [];
    this.#starts = [];
    this.#wake();
    await this.#writing;
    await this.#handle?.close().catch(() => undefined);
    this.#handle = undefined;
    await rm(this.path, { force: true });
  }

  #newBlockBytes(room: number): Buffer {
    const size = this.settings.blockBytes ?? defaultBlockBytes;
    if (room > size) return Buffer.allocUnsafeSlow(room);
    return this.#spare.pop() ?? Buffer.allocUnsafeSlow(size);
  }

  #recycle(bytes: Buffer): void {
    if (bytes.length === (this.settings.blockBytes ?? defaultBlockBytes) && this.#spare.length < maxSpareBlocks && !this.#discarded) this.#spare.push(bytes);
  }

  get #inMemory(): number {
    return this.#lastSeq + 1 - (this.#blocks[0]?.first ?? this.#lastSeq + 1);
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** The oldest block leaves memory: to the end of the file while it has room, else it is lost. */
  #evict(): void {
    const block = this.#blocks.shift()!;
    this.#memoryBytes -= block.bytes.length;
    const keep = !this.#fileClosed && !this.#fileBroken && block.start === this.#fileEnd && this.#fileEnd + block.used <= this.settings.fileBytes;
    if (!keep) {
      // The file holds one run from seq 0: once a block is lost, no later one is written.
      this.#fileClosed = true;
      this.#recycle(block.bytes);
      return;
    }
    this.#fileEnd += block.used;
    this.#unwritten += block.used;
    const bytes = block.bytes.subarray(0, block.used);
    this.#writing = this.#writing.then(async () => {
      try {
        if (this.#fileBroken || this.#discarded) return;
        if (!this.#handle) {
          await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
          this.#handle = await open(this.path, 'w+', 0o600);
        }
        await this.#handle.write(bytes, 0, bytes.length, block.start);
      } catch {
        // A full or failing disk loses the spilled events, never the job.
        this.#fileBroken = true;
      } finally {
        this.#unwritten -= bytes.length;
        this.#recycle(block.bytes);
        if (this.#unwritten <= this.#unwrittenMax) for (const resume of this.#writable.splice(0)) resume();
      }
    });
  }

  /** Whole frames from `next`, within one block. */
  #fromMemory(next: number, maxChars: number): LoggedFrames {
    const start = this.#starts[next]!;
    const block = this.#blocks.findLast((each) => each.start <= start)!;
    const blockEnd = block.start + block.used;
    let to = next;
    while (to < this.#lastSeq && this.#starts[to + 1]! < blockEnd && this.#starts[to + 1]! - start < maxChars) to += 1;
    const end = to < this.#lastSeq ? this.#starts[to + 1]! : this.#end;
    return { from: next, to, frames: block.bytes.toString('utf8', start - block.start, end - block.start) };
  }

  async #fromFile(next: number, maxChars: number): Promise<LoggedFrames | undefined> {
    await this.#writing;
    if (this.#fileBroken || !this.#handle) return undefined;
    const start = this.#starts[next]!;
    let to = next;
    while (this.#starts[to + 2] !== undefined && this.#starts[to + 2]! <= this.#fileEnd && this.#starts[to + 1]! - start < maxChars) to += 1;
    const end = this.#starts[to + 1]!;
    const buffer = Buffer.allocUnsafe(end - start);
    const { bytesRead } = await this.#handle.read(buffer, 0, buffer.length, start);
    if (bytesRead !== buffer.length) return undefined;
    return { from: next, to, frames: buffer.toString('utf8') };
  }
}
