import { Scalar } from '@scalar/hono-api-reference';
import { openApiDocument } from './openapi.document.js';

// Loaded on the first request for the docs: a worker restarts after every job and should not
// parse the schema converter and the reference page at each start.
export { openApiDocument };

export const referencePage = (cdn: string | undefined) =>
  Scalar({ url: '/openapi.json', pageTitle: 'unified-worker API', ...(cdn && { cdn }) });
