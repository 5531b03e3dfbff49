const initialBytes = 64 * 1024;
const closing = ']}';

/**
 * One POST /chunks body, encoded as its chunks arrive: a chunk's text is written into the
 * batch's bytes at once instead of being held as a string until the request. Held strings
 * outlive the young generation and make garbage collection the larger part of what
 * persistence costs the worker. A sent batch hands its bytes to the next one: a job's batches
 * then reuse one grown buffer instead of allocating and copying their way up to it again
 * (memory outside V8's heap that it counts, and collects for, all the same).
 */
export class ChunkBatch {
  #bytes: Buffer;
  #used: number;
  #count = 0;

  constructor(jobId: string, reuse?: Buffer) {
    const opening = `{"jobId":${JSON.stringify(jobId)},"chunks":[`;
    const least = opening.length * 3 + closing.length;
    this.#bytes = reuse && reuse.length >= least ? reuse : Buffer.allocUnsafe(Math.max(initialBytes, least));
    this.#used = this.#bytes.write(opening, 0);
  }

  get count(): number {
    return this.#count;
  }

  /**
   * Appends one chunk, given as the JSON texts that make it up in order: written piece by
   * piece, a chunk that embeds an event's JSON never becomes a string of its own.
   */
  add(...pieces: string[]): void {
    let length = 0;
    for (const piece of pieces) length += piece.length;
    // A UTF-16 unit takes at most 3 bytes of UTF-8; the comma and the closing need 3 more.
    this.#reserve(length * 3 + 1 + closing.length);
    if (this.#count > 0) this.#used += this.#bytes.write(',', this.#used);
    for (const piece of pieces) this.#used += this.#bytes.write(piece, this.#used);
    this.#count += 1;
  }

  /** The whole request body; the batch takes no more chunks after this. */
  body(): Uint8Array {
    this.#bytes.write(closing, this.#used);
    return this.#bytes.subarray(0, this.#used + closing.length);
  }

  /** The bytes, for the next batch once this one's request is over. */
  release(): Buffer {
    return this.#bytes;
  }

  #reserve(bytes: number): void {
    if (this.#used + bytes <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#used + bytes));
    this.#bytes.copy(grown, 0, 0, this.#used);
    this.#bytes = grown;
  }
}
