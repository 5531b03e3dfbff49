/** Time and identity, so the use case stays deterministic under test. */
export interface ClockPort {
  now(): number;
  newId(): string;
}
