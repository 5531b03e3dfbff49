const mask = '[REDACTED]';
// Short values would mask ordinary words; real credentials are far longer.
const minimumLength = 6;

/**
 * Masks known secret values wherever they appear in serialized events and log lines, as CI
 * systems mask secrets in build logs.
 */
export class Redactor {
  /** Each value with how many holders added it: a job removing its token keeps the worker's own. */
  readonly #values = new Map<string, number>();
  /** Each value as it appears inside a JSON string, computed once: json() runs for every event. */
  #escaped: string[] = [];

  add(...values: Array<string | undefined>): this {
    for (const value of values) {
      if (value !== undefined && value.length >= minimumLength) this.#values.set(value, (this.#values.get(value) ?? 0) + 1);
    }
    this.#escape();
    return this;
  }

  remove(...values: Array<string | undefined>): void {
    for (const value of values) {
      const count = value === undefined ? undefined : this.#values.get(value);
      if (count === undefined) continue;
      if (count > 1) this.#values.set(value!, count - 1);
      else this.#values.delete(value!);
    }
    this.#escape();
  }

  #escape(): void {
    this.#escaped = [...this.#values.keys()].map((value) => JSON.stringify(value).slice(1, -1));
  }

  get size(): number {
    return this.#values.size;
  }

  /**
   * JSON text with every secret masked, in the form JSON.stringify gives a string that holds
   * it (quotes and backslashes escaped), so the result still parses.
   */
  json(text: string): string {
    let output = text;
    for (const escaped of this.#escaped) {
      if (output.includes(escaped)) output = output.split(escaped).join(mask);
    }
    return output;
  }
}
