import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { HttpBindings } from '@hono/node-server';
import { Scalar } from '@scalar/hono-api-reference';
import type { Hono } from 'hono';
import { openApiDocument } from './openapi.document.js';

export interface DocsRouteDeps {
  version: string;
  /** The reference page's script, served by the worker itself; without it the page loads it from a CDN. */
  docsScript?: string;
}

const scriptPath = '/docs/scalar.js';

/** GET /openapi.json and GET /docs: the API as OpenAPI 3.1, and an interactive page over it. */
export function registerDocsRoutes(app: Hono<{ Bindings: HttpBindings }>, { version, docsScript }: DocsRouteDeps): void {
  // Built on first request: a worker that restarts after every job should not pay for it at start.
  let document: object | undefined;
  app.get('/openapi.json', (c) => c.json((document ??= openApiDocument(version))));
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'unified-worker API', ...(docsScript && { cdn: scriptPath }) }));
  if (docsScript) {
    app.get(scriptPath, () => {
      const body = Readable.toWeb(createReadStream(docsScript)) as ReadableStream;
      return new Response(body, { headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400' } });
    });
  }
}
