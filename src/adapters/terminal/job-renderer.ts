import { SingleBar } from 'cli-progress';
import pc from 'picocolors';
import type { AgentItem, Usage } from '../../domain/agent-item.js';
import type { JobEvent } from '../../domain/job-event.js';

/** Where the job is shown: a terminal gets a progress bar, a pipe only lines. */
export type RendererOutput = NodeJS.WritableStream & { isTTY?: boolean };

const oneLine = (text: string, max = 100): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

// The input field that says what a tool is doing, in the names the providers use.
const telling = ['file_path', 'filePath', 'path', 'command', 'cmd', 'pattern', 'url', 'query'];

/** One line for a tool call: its telling field (a long path keeps its end), else its input. */
function toolSummary(input: unknown): string {
  const fields = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const key = telling.find((name) => typeof fields[name] === 'string');
  if (!key) return oneLine(JSON.stringify(input ?? {}), 80);
  const value = oneLine(fields[key] as string, 1000);
  return value.length > 80 ? `…${value.slice(-79)}` : value;
}

/** Tokens and cost, saying when the cost is the worker's estimate. */
function usageLine(usage: Usage): string {
  const cost = usage.costUsd === undefined ? '' : `, $${usage.costUsd.toFixed(4)}${usage.costSource === 'estimated' ? ' (estimated)' : ''}`;
  return `${usage.inputTokens} in / ${usage.outputTokens} out tokens${cost}`;
}

/** What a person watching a job sees: progress, the assistant's words, one line per tool, a summary. */
export class JobRenderer {
  #bar: SingleBar | undefined;
  #barLabel: string | undefined;

  constructor(private readonly out: RendererOutput) {}

  render(event: JobEvent): void {
    switch (event.type) {
      case 'connected':
        return this.#line(pc.dim(`job ${event.jobId} on ${event.workerId} (${event.provider})`));
      case 'message':
        return this.#line(pc.dim(`· ${event.text}`));
      case 'github_pull_progress':
        return this.#progress(event);
      case 'assistant_message':
        return this.#item(event.item);
      case 'completed': {
        this.#stopBar();
        const files = event.changes ? `, ${event.changes.filesChanged.length} file(s) changed${event.changes.pushed ? ` and pushed to ${event.changes.branch}` : ''}` : '';
        const stopped = event.stopReason === 'finished' ? '' : `, stopped at its ${event.stopReason} budget`;
        this.#line(pc.green(`✔ completed in ${(event.durationMs / 1000).toFixed(1)} s${stopped}`));
        this.#line(`  session ${event.sessionId ?? '-'}, ${usageLine(event.usage)}${files}`);
        for (const file of event.changes?.filesChanged ?? []) this.#line(pc.dim(`  ${file.status} ${file.path} (+${file.additions} -${file.deletions})`));
        return;
      }
      case 'error': {
        this.#stopBar();
        this.#line(pc.red(`✖ ${event.code}: ${event.message}`));
        const when = event.resetAt ? `; the provider's limit resets at ${event.resetAt}` : event.retryAfterMs !== undefined ? `; retry in ${Math.ceil(event.retryAfterMs / 1000)} s` : '';
        if (event.usage) this.#line(`  session ${event.sessionId ?? '-'}, ${usageLine(event.usage)}${when}`);
        return;
      }
    }
  }

  #item(item: AgentItem): void {
    this.#stopBar();
    switch (item.kind) {
      case 'session':
        return this.#line(pc.dim(`session ${item.sessionId}${item.model ? ` (${item.model})` : ''}`));
      case 'text':
        return this.#line(item.text);
      case 'thinking':
        return this.#line(pc.dim(pc.italic(oneLine(item.text))));
      case 'tool_call':
        return this.#line(pc.cyan(`→ ${item.name} ${toolSummary(item.input)}`));
      case 'tool_result':
        return this.#line(item.ok ? pc.dim(`  ✓ ${oneLine(item.output, 80)}`) : pc.yellow(`  ✗ ${oneLine(item.output, 80)}`));
      case 'usage':
        return;
    }
  }

  #progress(event: Extract<JobEvent, { type: 'github_pull_progress' }>): void {
    if (!this.out.isTTY) return;
    // One bar per git phase: each runs from 0 to 100 on its own.
    const label = event.phase ? `${event.stage}: ${event.phase}` : event.stage;
    if (label !== this.#barLabel) this.#stopBar();
    if (!this.#bar) {
      this.#bar = new SingleBar({ format: `${label} [{bar}] {percentage}%`, hideCursor: true, clearOnComplete: true, stream: this.out });
      this.#bar.start(100, 0);
      this.#barLabel = label;
    }
    this.#bar.update(event.percent);
  }

  #stopBar(): void {
    this.#bar?.stop();
    this.#bar = undefined;
    this.#barLabel = undefined;
  }

  #line(text: string): void {
    this.#stopBar();
    this.out.write(`${text}\n`);
  }
}
