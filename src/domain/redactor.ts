const mask = '[REDACTED]';
// Short values would mask ordinary words; real credentials are far longer.
const minimumLength = 6;

/**
 * Masks known secret values wherever they appear in text or nested data, as CI systems
 * mask secrets in build logs.
 */
export class Redactor {
  readonly #values = new Set<string>();
  /** Each value as it appears inside a JSON string, computed once: json() runs for every event. */
  #escaped: string[] = [];

  add(...values: Array<string | undefined>): this {
    for (const value of values) {
      if (value !== undefined && value.length >= minimumLength) this.#values.add(value);
    }
    this.#escape();
    return this;
  }

  remove(...values: Array<string | undefined>): void {
    for (const value of values) if (value !== undefined) this.#values.delete(value);
    this.#escape();
  }

  #escape(): void {
    this.#escaped = [...this.#values].map((value) => JSON.stringify(value).slice(1, -1));
  }

  get size(): number {
    return this.#values.size;
  }

  text(input: string): string {
    let output = input;
    for (const value of this.#values) {
      if (output.includes(value)) output = output.split(value).join(mask);
    }
    return output;
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

  /** A copy of `data` with every secret masked; data without secrets is returned as is. */
  deep<T>(data: T): T {
    if (this.#values.size === 0) return data;
    return this.#walk(data) as T;
  }

  #walk(data: unknown): unknown {
    if (typeof data === 'string') return this.text(data);
    if (Array.isArray(data)) return data.map((entry) => this.#walk(entry));
    if (data !== null && typeof data === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(data)) copy[this.text(key)] = this.#walk(value);
      return copy;
    }
    return data;
  }
}
