const hidden = '[secret]';

/**
 * A credential. It prints as [secret] through toString, JSON and Node's inspect,
 * so leaking one needs a deliberate call to reveal().
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The raw value: call only where a child's environment or an outgoing header is built. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return hidden;
  }

  toJSON(): string {
    return hidden;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return hidden;
  }
}
