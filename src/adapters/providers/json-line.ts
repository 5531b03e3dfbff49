/** One line of a CLI's JSONL output, or undefined for a banner, a blank line or broken JSON. */
export function parseJsonLine(line: string): unknown {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
