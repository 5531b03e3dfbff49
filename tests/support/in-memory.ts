import type { ExecutionDeps } from '../../src/application/execution.use-case.js';
import type { JobRequest } from '../../src/application/job-request.js';
import type { EventSinkPort } from '../../src/application/ports/event-sink.port.js';
import type { JobRecorder, PersistencePort } from '../../src/application/ports/persistence.port.js';
import type { ProviderEvent, ProviderPort, ProviderRun } from '../../src/application/ports/provider.port.js';
import type { SessionStorePort } from '../../src/application/ports/session-store.port.js';
import type { WorkspacePort } from '../../src/application/ports/workspace.port.js';
import { ProviderRegistry } from '../../src/application/provider-registry.js';
import { JobRegistry } from '../../src/application/job-registry.js';
import { SpillingEventLogs } from '../../src/adapters/event-log/index.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobEvent } from '../../src/domain/job-event.js';
import { Redactor } from '../../src/domain/redactor.js';
import type { SessionSnapshot } from '../../src/domain/session.js';

/** A provider that plays a script; `step` may wait on the signal to act like a slow CLI. */
export class ScriptedProvider implements ProviderPort {
  readonly id = 'scripted';
  readonly capabilities = { options: ['model'] as const, permissionModes: [], resume: true };
  readonly runs: ProviderRun[] = [];

  constructor(
    private readonly script: (run: ProviderRun, signal: AbortSignal) => AsyncIterable<ProviderEvent>,
    private readonly ownCredentials = false,
  ) {}

  hasOwnCredentials(): boolean {
    return this.ownCredentials;
  }

  availability() {
    return { available: true, version: '0.0.0' };
  }

  async *run(run: ProviderRun, signal: AbortSignal): AsyncGenerator<ProviderEvent[]> {
    this.runs.push(run);
    try {
      for await (const event of this.script(run, signal)) yield [event];
    } finally {
      await run.saveSession(`session-of-${run.jobId}`, [{ name: 'transcript', content: run.prompt }]);
    }
  }
}

export class MemorySessionStore implements SessionStorePort {
  readonly saved = new Map<string, SessionSnapshot>();

  async save(snapshot: SessionSnapshot): Promise<void> {
    this.saved.set(snapshot.session.providerSessionId, snapshot);
  }

  async load(id: string): Promise<SessionSnapshot | undefined> {
    return this.saved.get(id);
  }

  async erase(id: string): Promise<boolean> {
    return this.saved.delete(id);
  }
}

/** Workspaces named /workspaces/<name or job id>; remembers which jobs' directories were released. */
export class MemoryWorkspace implements WorkspacePort {
  readonly released: string[] = [];

  validate() {
    return [];
  }

  async prepare(name: string | undefined, jobId: string): Promise<string> {
    return `/workspaces/${name ?? jobId}`;
  }

  async usage(): Promise<number> {
    return 0;
  }

  async release(jobId: string): Promise<void> {
    this.released.push(jobId);
  }
}

export class MemoryPersistence implements PersistencePort {
  readonly enabled = true;
  readonly events: JobEvent[] = [];

  open(): JobRecorder {
    const report = async () => ({ stored: this.events.length, dropped: 0 });
    return { record: (event) => void this.events.push(event), flush: report, close: report, backlog: () => 0 };
  }
}

export class CollectingSink implements EventSinkPort {
  readonly events: JobEvent[] = [];

  readonly json: string[] = [];

  async send(event: JobEvent, json: string): Promise<void> {
    this.events.push(event);
    this.json.push(json);
  }

  types(): string[] {
    return this.events.map((event) => event.type);
  }
}

export const silentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function inMemoryDeps(provider: ProviderPort, overrides: Partial<ExecutionDeps> = {}): ExecutionDeps {
  let id = 0;
  let time = 1_000_000;
  return {
    providers: new ProviderRegistry([provider]),
    workspace: new MemoryWorkspace(),
    repo: {
      validate: (spec) => (spec.repoUrl.startsWith('https://') ? [] : [{ path: 'repoUrl', message: 'must be an https URL' }]),
      prepare: async (spec, workspace, onProgress) => {
        onProgress({ stage: 'clone', percent: 100, processed: 3, total: 3 });
        return { directory: `${workspace}/repo`, branch: spec.branch ?? 'main', baseCommit: 'a'.repeat(40) };
      },
      saveWork: async () => undefined,
      restoreWork: async () => undefined,
      publish: async (spec, checkout) => ({
        branch: spec.push?.branch ?? checkout.branch,
        baseCommit: checkout.baseCommit,
        headCommit: 'b'.repeat(40),
        filesChanged: [{ path: 'hello.ts', status: 'added', additions: 1, deletions: 0 }],
        pushed: spec.push !== undefined,
      }),
    },
    sessions: new MemorySessionStore(),
    persistence: new MemoryPersistence(),
    clock: { now: () => (time += 5), newId: () => `job-${++id}` },
    logger: silentLogger,
    metrics: { jobStarted: () => undefined, jobEnded: () => undefined, jobStopped: () => undefined, firstAssistantItem: () => undefined, repoPrepared: () => undefined, providerExited: () => undefined, eventsCoalesced: () => undefined, watchBacklog: () => undefined, persistence: () => undefined, webhookDelivered: () => undefined },
    redactor: new Redactor(),
    jobs: new JobRegistry({ retentionMs: 60_000, maxRetained: 16 }),
    eventLogs: new SpillingEventLogs({ dir: join(tmpdir(), `uw-event-logs-${process.pid}`), memoryEvents: 10_000, memoryChars: 8 << 20, fileBytes: 64 << 20 }),
    notifier: { validate: () => [], notify: async () => 'delivered' },
    prices: { costUsd: async (model, usage) => (model === 'priced-model' ? (usage.inputTokens + usage.outputTokens) / 1_000_000 : undefined) },
    settings: {
      workerId: 'worker-test', defaultJobMs: 60_000, maxJobMs: 120_000, flushTimeoutMs: 1000, maxItemChars: 10_000, maxEventsPerSecond: 0,
      workspace: { maxBytes: 0, checkMs: 1000 }, maxWorkBytes: 1 << 20, notifyDeadlineMs: 1000,
      budgets: { defaults: {}, ceilings: {} },
    },
    ...overrides,
  };
}

export function jobRequest(overrides: Partial<JobRequest> = {}): JobRequest {
  return { userRequest: 'Create hello.ts', provider: 'scripted', options: {}, budget: {}, includeRaw: false, onDisconnect: 'cancel', ...overrides };
}

/** Resolves when the signal aborts; how a scripted provider waits like a CLI that is still working. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
