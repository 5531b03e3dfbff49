import type { ProviderEvent } from '../../application/ports/provider.port.js';
import { DomainError } from '../../domain/errors.js';
import type { CliProcess } from './cli-process.js';
import { parseJsonLine } from './json-line.js';
import type { OutputMapper } from './mapped-output.js';

export interface CliEventsInput {
  cli: CliProcess;
  mapper: OutputMapper;
  signal: AbortSignal;
  /** The CLI's name in error messages. */
  name: string;
  /** What to install when the CLI cannot be started, e.g. `npm install @openai/codex`. */
  install: string;
  silenceMs: number;
}

/**
 * The events of one CLI run, a batch for each read of its output: every mapped line as it is
 * printed, then `finished`, or the error that explains the end (the abort reason, a stall, a
 * crash, the provider's own error).
 */
export async function* cliEvents({ cli, mapper, signal, name, install, silenceMs }: CliEventsInput): AsyncGenerator<ProviderEvent[]> {
  for await (const lines of cli.lineBatches()) {
    const events: ProviderEvent[] = [];
    for (const line of lines) {
      if (line === null) {
        events.push({ type: 'notice', text: `${name} printed a line longer than the worker reads; it was passed over` });
        continue;
      }
      const parsed = parseJsonLine(line);
      if (parsed === undefined) continue;
      for (const output of mapper.map(parsed)) {
        events.push(output.type === 'item' ? { type: 'item', item: output.item, raw: parsed } : output);
      }
    }
    if (events.length > 0) yield events;
  }
  const exit = await cli.exit;
  cli.reapGroup();
  if (!cli.notStarted) yield [{ type: 'exit', code: exit.code, signal: exit.signal, leftovers: cli.leftovers }];
  if (signal.aborted) throw signal.reason;
  if (cli.notStarted) {
    throw new DomainError('PROVIDER_UNAVAILABLE', `the ${name} CLI could not be started: install it with ${install}`, { retryable: false });
  }
  if (cli.stalled) {
    throw new DomainError('PROVIDER_STALLED', `${name} printed nothing for ${silenceMs} ms and was stopped`, { details: { budget: 'silence', limit: silenceMs, used: silenceMs } });
  }
  const stderr = cli.stderrTail();
  const verdict = mapper.verdict(exit, stderr);
  if (verdict?.ok) {
    yield [{ type: 'finished', outcome: verdict.outcome }];
    return;
  }
  if (verdict) throw verdict.error;
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  throw new DomainError('PROVIDER_FAILED', `${name} ${how}${stderr ? `: ${stderr}` : ''}`);
}
