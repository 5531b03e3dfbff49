// One block holds many writes' worth of frames; a frame larger than this gets a block of its own.
const blockBytes = 64 * 1024;
// UTF-8 takes at most three bytes for each UTF-16 code unit.
const maxBytesPerUnit = 3;

/**
 * SSE frames encoded to UTF-8 as they come, so each socket write is handed bytes. Given a
 * string, Node's response measures its UTF-8 length for the chunk header, and its socket
 * measures and encodes it again: three passes over every event instead of one.
 * Frames go into a block from where the last taken run ended; a taken run is never written
 * over, since the socket may still hold it: a full block is left to the garbage collector.
 */
export class SseFrameBuffer {
  #block = Buffer.allocUnsafeSlow(blockBytes);
  #start = 0;
  #end = 0;

  get empty(): boolean {
    return this.#end === this.#start;
  }

  append(frame: string): void {
    const room = frame.length * maxBytesPerUnit;
    if (this.#end + room > this.#block.length) this.#renew(room);
    this.#end += this.#block.write(frame, this.#end);
  }

  /** The frames appended since the last take, as bytes the caller may keep. */
  take(): Buffer {
    const run = this.#block.subarray(this.#start, this.#end);
    this.#start = this.#end;
    return run;
  }

  #renew(room: number): void {
    const pending = this.#block.subarray(this.#start, this.#end);
    this.#block = Buffer.allocUnsafeSlow(Math.max(blockBytes, pending.length + room));
    this.#start = 0;
    this.#end = pending.copy(this.#block);
  }
}
