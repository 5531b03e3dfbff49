import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { expect } from 'vitest';

type Responses = Record<string, { content?: Record<string, { schema: object }> }>;

export const doc = JSON.parse(readFileSync(new URL('../../docs/db-api.openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Responses }>>;
};
const ajv = new Ajv2020.default({ strict: false });
ajv.addSchema(doc, 'db-api');

/**
 * Checks a response against the document's schema for that route, method and status: a JSON
 * body against its schema, another body by its media type. Reads the body of a JSON answer.
 */
export async function conforms(response: Response, path: string, method: string): Promise<void> {
  const spec = doc.paths[path]?.[method]?.responses[String(response.status)];
  expect(spec, `${method.toUpperCase()} ${path} ${response.status} is documented`).toBeDefined();
  const media = Object.keys(spec?.content ?? {});
  if (media.length === 0) return;
  const type = response.headers.get('content-type')?.split(';')[0];
  expect(media, `${method.toUpperCase()} ${path} ${response.status} answers ${type}`).toContain(type);
  const schema = spec?.content?.['application/json']?.schema;
  if (!schema || type !== 'application/json') return;
  const pointer = ['paths', path, method, 'responses', String(response.status), 'content', 'application/json', 'schema']
    .map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1'))
    .join('/');
  const validate = ajv.getSchema(`db-api#/${pointer}`)!;
  const body = await response.json();
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}
