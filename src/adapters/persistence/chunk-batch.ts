const initialBytes = 64 * 1024;
const closing = ']}';

/**
 * One POST /chunks body, encoded as its chunks arrive: a chunk's text is written into the
 * batch's bytes at once instead of being held as a string until the request. Held strings
 * outlive the young generation and make garbage collection the larger part of what
 * persistence costs the worker.
 */
export class ChunkBatch {
  #bytes: Buffer;
  #used: number;
  #count = 0;

  constructor(jobId: string) {
    const opening = `{"jobId":${JSON.stringify(jobId)},"chunks":[`;
    this.#bytes = Buffer.allocUnsafe(Math.max(initialBytes, opening.length * 3 + closing.length));
    this.#used = this.#bytes.write(opening, 0);
  }

  get count(): number {
    return this.#count;
  }

  /** Appends one chunk's JSON text. */
  add(chunk: string): void {
    // A UTF-16 unit takes at most 3 bytes of UTF-8; the comma and the closing need 3 more.
    this.#reserve(chunk.length * 3 + 1 + closing.length);
    if (this.#count > 0) this.#used += this.#bytes.write(',', this.#used);
    this.#used += this.#bytes.write(chunk, this.#used);
    this.#count += 1;
  }

  /** The whole request body; the batch takes no more chunks after this. */
  body(): Uint8Array {
    this.#bytes.write(closing, this.#used);
    return this.#bytes.subarray(0, this.#used + closing.length);
  }

  #reserve(bytes: number): void {
    if (this.#used + bytes <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#used + bytes));
    this.#bytes.copy(grown, 0, 0, this.#used);
    this.#bytes = grown;
  }
}
