import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { executeRequestSchema } from '../execute-request.schema.js';
import { errorBodySchema, jobEventSchema } from './job-event.schema.js';

// Custom checks (branch names, control characters) have no JSON Schema form: the document
// shows the shape and the server still applies every check.
const jsonSchema = (schema: v.GenericSchema) => {
  const { $schema: _, ...rest } = toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'ignore' });
  return rest;
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });

const jobIdParameter = { name: 'jobId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } };

const jobStateSchema = {
  type: 'object',
  required: ['jobId', 'provider', 'status', 'lastSeq', 'startedAt', 'readers'],
  properties: {
    jobId: { type: 'string' },
    provider: { type: 'string' },
    status: { enum: ['accepted', 'preparing', 'running', 'completed', 'failed'] },
    stage: { enum: ['workspace', 'repository', 'session', 'provider', 'publish'] },
    lastSeq: { type: 'integer', description: 'The seq of the last event so far; -1 before the first' },
    startedAt: { type: 'string', format: 'date-time' },
    endedAt: { type: 'string', format: 'date-time' },
    sessionId: { type: 'string', description: "The assistant's session, once known: resume it with resumeSessionId" },
    databaseSessionId: { type: 'string', description: "The request's database.sessionId: where the DB API keeps the events" },
    readers: { type: 'integer', description: 'Streams following the job now, besides the one that started it' },
    terminal: { $ref: '#/components/schemas/JobEvent' },
  },
};

/** The name under components.securitySchemes of the worker's one credential, the bearer token. */
export const securitySchemeName = 'bearer';

const bearerAuth = [{ [securitySchemeName]: [] }];

const eventStream = (description: string) => ({
  description,
  content: { 'text/event-stream': { schema: { $ref: '#/components/schemas/JobEvent' } } },
});

/** The API v1 as an OpenAPI 3.1 document, generated from the schemas the server validates with. */
export function openApiDocument(version: string): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'unified-worker',
      version,
      description:
        'Runs a coding assistant headless as one job: POST /execute streams the job as Server-Sent Events, each `data` one JobEvent, until exactly one `completed` or `error`.',
    },
    components: {
      securitySchemes: { [securitySchemeName]: { type: 'http', scheme: 'bearer', description: "The worker's WORKER_API_TOKEN" } },
      schemas: {
        ExecuteRequest: jsonSchema(executeRequestSchema),
        JobEvent: jsonSchema(jobEventSchema),
        Error: jsonSchema(errorBodySchema),
      },
    },
    paths: {
      '/execute': {
        post: {
          operationId: 'execute',
          summary: 'Run one job and stream it',
          security: bearerAuth,
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ExecuteRequest' } } } },
          responses: {
            '200': {
              // OpenAPI 3.1 has no schema for one SSE event (3.2's itemSchema): the schema given is each event's data.
              description:
                'The job, event by event: `id` is the event seq, `event` its type, `data` one JobEvent as JSON (the schema). `X-Job-Id` names the job and `Location` is where to read it again (GET /jobs/{jobId}/events).',
              headers: {
                'X-Job-Id': { schema: { type: 'string' }, description: "The job's id" },
                Location: { schema: { type: 'string' }, description: '/jobs/{jobId}/events' },
              },
              content: { 'text/event-stream': { schema: { $ref: '#/components/schemas/JobEvent' } } },
            },
            '400': errorResponse('VALIDATION_FAILED (with every issue), MISSING_CREDENTIALS'),
            '401': errorResponse('UNAUTHORIZED'),
            '413': errorResponse('PAYLOAD_TOO_LARGE'),
            '415': errorResponse('UNSUPPORTED_MEDIA_TYPE'),
            '429': errorResponse('WORKER_BUSY, with Retry-After'),
            '503': errorResponse('WORKER_SHUTDOWN, with Retry-After'),
          },
        },
      },
      '/jobs/{jobId}': {
        get: {
          operationId: 'getJob',
          summary: "A job's state: stage, last seq, start and end, and its terminal event once there",
          security: bearerAuth,
          parameters: [jobIdParameter],
          responses: {
            '200': { description: 'The job', content: { 'application/json': { schema: jobStateSchema } } },
            '401': errorResponse('UNAUTHORIZED'),
            '404': errorResponse('NOT_FOUND: no such job on this worker (behind a pool, read the DB API)'),
            '410': errorResponse('EVENTS_GONE: the job ran here, and its retention is over; the message says where its events are'),
          },
        },
      },
      '/jobs/{jobId}/events': {
        get: {
          operationId: 'jobEvents',
          summary: "Replay a job's events after a point, then follow it live to its terminal event",
          description:
            'A standard SSE stream (any EventSource reconnects to it by itself): `Last-Event-ID` (or `after`) is the seq of the last event received; the stream starts with the next one, starts with `retry: 1000`, and ends after the terminal event. Several readers may follow one job.',
          security: bearerAuth,
          parameters: [
            jobIdParameter,
            { name: 'after', in: 'query', required: false, schema: { type: 'integer', minimum: 0 }, description: 'The seq of the last event received; Last-Event-ID wins over it' },
            { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string', pattern: '^[0-9]+$' } },
          ],
          responses: {
            '200': eventStream('The events after the point given, then the live ones, ending with the terminal event'),
            '204': { description: 'The job has ended and the point given is its terminal event or later: nothing more to send' },
            '400': errorResponse('VALIDATION_FAILED: Last-Event-ID or after is not a seq, or lies beyond the last event'),
            '401': errorResponse('UNAUTHORIZED'),
            '404': errorResponse('NOT_FOUND: no such job on this worker'),
            '410': errorResponse('EVENTS_GONE: some of the events asked for are no longer kept here; the message says where they are'),
          },
        },
      },
      '/jobs/{jobId}/cancel': {
        post: {
          operationId: 'cancelJob',
          summary: 'End that job with CANCELLED',
          security: bearerAuth,
          parameters: [jobIdParameter],
          responses: {
            '200': {
              description: 'Cancelling',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { status: { const: 'cancelling' }, jobId: { type: 'string' } }, required: ['status', 'jobId'] },
                },
              },
            },
            '401': errorResponse('UNAUTHORIZED'),
            '404': errorResponse('NOT_FOUND'),
            '409': errorResponse('NO_RUNNING_JOB: the job has already ended'),
            '410': errorResponse('EVENTS_GONE'),
          },
        },
      },
      '/sessions/{sessionId}': {
        get: {
          operationId: 'getSession',
          summary: 'A session this worker keeps (jobs without a database): what is saved to resume it',
          security: bearerAuth,
          parameters: [{ name: 'sessionId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } }],
          responses: {
            '200': {
              description: 'The session',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['sessionId', 'provider', 'savedAt', 'artifacts'],
                    properties: {
                      sessionId: { type: 'string' },
                      provider: { type: 'string' },
                      branch: { type: 'string' },
                      savedAt: { type: 'string', format: 'date-time' },
                      artifacts: { type: 'array', items: { type: 'object', required: ['name', 'chars'], properties: { name: { type: 'string' }, chars: { type: 'integer' } } } },
                      work: { type: 'object', required: ['baseCommit', 'bytes'], properties: { baseCommit: { type: 'string' }, bytes: { type: 'integer' } } },
                    },
                  },
                },
              },
            },
            '401': errorResponse('UNAUTHORIZED'),
            '404': errorResponse('SESSION_NOT_FOUND: not kept by this worker (a session saved with a database lives in the DB API)'),
          },
        },
        delete: {
          operationId: 'eraseSession',
          summary: "Erase a session this worker keeps: its transcript, its uncommitted work, and the events of its jobs still held here",
          security: bearerAuth,
          parameters: [{ name: 'sessionId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } }],
          responses: {
            '204': { description: 'Erased' },
            '401': errorResponse('UNAUTHORIZED'),
            '404': errorResponse('SESSION_NOT_FOUND'),
          },
        },
      },
      '/cancel': {
        post: {
          operationId: 'cancel',
          summary: 'End the running job with CANCELLED',
          security: bearerAuth,
          responses: {
            '200': {
              description: 'Cancelling',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { status: { const: 'cancelling' }, jobId: { type: 'string' } }, required: ['status'] },
                },
              },
            },
            '401': errorResponse('UNAUTHORIZED'),
            '409': errorResponse('NO_RUNNING_JOB'),
          },
        },
      },
      '/health': {
        get: {
          operationId: 'health',
          summary: 'Liveness, version, and each provider with whether its CLI is installed',
          responses: {
            '200': {
              description: 'Up',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['status', 'version', 'uptimeS', 'providers'],
                    properties: {
                      status: { const: 'ok' },
                      version: { type: 'string' },
                      uptimeS: { type: 'integer' },
                      providers: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['id', 'available'],
                          properties: { id: { type: 'string' }, available: { type: 'boolean' }, version: { type: 'string' } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      '/ready': {
        get: {
          operationId: 'ready',
          summary: 'Whether a load balancer should keep this worker in rotation (also on the control port)',
          responses: {
            '200': {
              description: 'It takes jobs, or runs its one job',
              content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { const: 'ready' } } } } },
            },
            '503': {
              description: 'It takes no job again: its one job is ending, or it drains',
              content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { const: 'retiring' } } } } },
            },
          },
        },
      },
      '/status': {
        get: {
          operationId: 'status',
          summary: 'Idle, or the running job',
          responses: {
            '200': {
              description: 'The worker state',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['status'],
                    properties: {
                      status: { enum: ['idle', 'busy', 'retiring'] },
                      jobId: { type: 'string' },
                      provider: { type: 'string' },
                      startedAt: { type: 'string' },
                    },
                  },
                },
              },
            },
          },
        },
      },
      '/metrics': { get: { operationId: 'metrics', summary: 'Prometheus metrics', responses: { '200': text('Prometheus text format') } } },
      '/openapi.json': {
        get: { operationId: 'openapi', summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } } },
      },
      '/docs': {
        get: { operationId: 'docs', summary: 'An interactive reference of this document', responses: { '200': { description: 'HTML', content: { 'text/html': {} } } } },
      },
    },
  };
}
