#!/usr/bin/env node
// A stand-in for the claude CLI in benchmarks: replays recorded stream-json lines as fast as
// stdout takes them. FAKE_CLAUDE_EVENTS sets how many assistant lines come between the
// recorded init and result lines (0: answer at once).
import { readFileSync } from 'node:fs';

const fixture = new URL('../../tests/fixtures/claude-code/claude-write.jsonl', import.meta.url);
const lines = readFileSync(fixture, 'utf8').split('\n').filter(Boolean);
const sessionArg = process.argv.find((arg) => arg.startsWith('--session-id=') || arg.startsWith('--resume='));
const sessionId = sessionArg ? sessionArg.split('=')[1] : '00000000-0000-4000-8000-000000000000';
const withSession = (line) => line.replaceAll('1869ceb7-9215-4c12-9450-5f702a2f7695', sessionId);
const [init] = lines;
const result = lines.at(-1);
const middle = lines.slice(1, -1).map(withSession);
const count = Number(process.env.FAKE_CLAUDE_EVENTS ?? 0);

process.stdin.resume();
process.stdin.on('end', () => {
  const chunks = [withSession(init)];
  for (let i = 0; i < count; i++) chunks.push(middle[i % middle.length]);
  chunks.push(withSession(result));
  write(chunks, 0);
});

// Writes in slices and waits for 'drain', so a slow reader slows the writer instead of its memory.
function write(chunks, from) {
  let i = from;
  while (i < chunks.length) {
    const slice = chunks.slice(i, i + 1000).join('\n') + '\n';
    i += 1000;
    if (!process.stdout.write(slice)) {
      process.stdout.once('drain', () => write(chunks, i));
      return;
    }
  }
}
