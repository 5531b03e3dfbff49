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
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
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
          security: [{ bearer: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ExecuteRequest' } } } },
          responses: {
            '200': {
              // OpenAPI 3.1 has no schema for one SSE event (3.2's itemSchema): the schema given is each event's data.
              description: 'The job, event by event: `id` is the event seq, `event` its type, `data` one JobEvent as JSON (the schema).',
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
      '/cancel': {
        post: {
          operationId: 'cancel',
          summary: 'End the running job with CANCELLED',
          security: [{ bearer: [] }],
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
