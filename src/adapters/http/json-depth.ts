const quote = 0x22;
const backslash = 0x5c;
const opens = new Set([0x5b, 0x7b]); // [ {
const closes = new Set([0x5d, 0x7d]); // ] }

/**
 * Whether a JSON text nests arrays and objects deeper than `limit`, found by one pass over its
 * bytes before any parse: a body of half a million brackets would otherwise hold the event
 * loop for seconds in the parser and the schema's walk. Brackets inside strings do not count.
 */
export function nestsDeeperThan(json: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i]!;
    if (inString) {
      if (byte === backslash) i++;
      else if (byte === quote) inString = false;
    } else if (byte === quote) inString = true;
    else if (opens.has(byte)) {
      if (++depth > limit) return true;
    } else if (closes.has(byte)) depth--;
  }
  return false;
}
