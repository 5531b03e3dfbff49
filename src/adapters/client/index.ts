// unified-worker/client: the worker's HTTP API, typed.
export {
  WorkerClient,
  type AttachOptions,
  type ExecuteOptions,
  type HealthReport,
  type JobReport,
  type StatusReport,
  type WorkerClientOptions,
} from './worker-client.js';
export { WorkerError } from './worker-error.js';
export type { RetryOptions } from './retry.js';
export type { DbApiOptions, DbApiSource, ReattachOptions, ReattachTiming } from './reattach.js';
export type { ExecuteRequestBody } from '../../domain/execute-request.js';
export type { JobEvent, JobEventBody, JobEventType, JobStage, PersistenceReport } from '../../domain/job-event.js';
export type { JobStatus } from '../../domain/job.js';
export type { AgentItem, Usage } from '../../domain/agent-item.js';
export type { ErrorCode } from '../../domain/errors.js';
export type { RepoChanges, FileChange } from '../../domain/repo-changes.js';
