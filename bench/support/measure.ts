import { performance } from 'node:perf_hooks';

export async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Prints each measurement in ms and as a ratio to the first row, the baseline. */
export function report(name: string, rows: Array<[label: string, value: number]>, unit = 'ms'): void {
  const base = rows[0]![1];
  console.log(`\n${name}`);
  for (const [label, value] of rows) console.log(`  ${label.padEnd(44)} ${value.toFixed(1).padStart(9)} ${unit.padEnd(2)}   ${(value / base).toFixed(2)}x`);
}
