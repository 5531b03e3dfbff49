import { secretForms, tokensInside } from './secret-forms.js';

const mask = '[REDACTED]';
// Short values would mask ordinary words; real credentials are far longer.
const minimumLength = 6;

/**
 * Masks known secret values wherever they appear in serialized events and log lines, as CI
 * systems mask secrets in build logs: as they are and in the encoded forms an agent could send
 * them out in (base64, hex, percent-encoding), and every token inside a credential document.
 */
export class Redactor {
  /** Each value with how many holders added it: a job removing its token keeps the worker's own. */
  readonly #values = new Map<string, number>();
  /** Every form of every value in one pattern, built once: json() runs for every event, and one
   * regular expression scans a text far faster than one search per form. */
  #pattern: RegExp | undefined;

  add(...values: Array<string | undefined>): this {
    for (const value of withTokensInside(values)) this.#values.set(value, (this.#values.get(value) ?? 0) + 1);
    this.#compile();
    return this;
  }

  remove(...values: Array<string | undefined>): void {
    for (const value of withTokensInside(values)) {
      const count = this.#values.get(value);
      if (count === undefined) continue;
      if (count > 1) this.#values.set(value, count - 1);
      else this.#values.delete(value);
    }
    this.#compile();
  }

  #compile(): void {
    const forms = [...new Set([...this.#values.keys()].flatMap(secretForms))];
    // Longest first: where one form begins another, the whole of the longer one is masked.
    forms.sort((a, b) => b.length - a.length);
    this.#pattern = forms.length > 0 ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  get size(): number {
    return this.#values.size;
  }

  /**
   * JSON text with every secret masked, in the form JSON.stringify gives a string that holds
   * it (quotes and backslashes escaped), so the result still parses.
   */
  json(text: string): string {
    return this.#pattern ? text.replace(this.#pattern, mask) : text;
  }
}

function withTokensInside(values: Array<string | undefined>): string[] {
  const known = values.filter((value): value is string => value !== undefined);
  return [...known, ...known.flatMap(tokensInside)].filter((value) => value.length >= minimumLength);
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
