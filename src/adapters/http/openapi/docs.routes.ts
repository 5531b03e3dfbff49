import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { HttpBindings } from '@hono/node-server';
import type { Hono, MiddlewareHandler } from 'hono';

export interface DocsRouteDeps {
  version: string;
  /** The reference page's script, served by the worker itself; without it the page loads it from a CDN. */
  docsScript?: string;
}

const scriptPath = '/docs/scalar.js';

/** GET /openapi.json and GET /docs: the API as OpenAPI 3.1, and an interactive page over it. */
export function registerDocsRoutes(app: Hono<{ Bindings: HttpBindings }>, { version, docsScript }: DocsRouteDeps): void {
  let document: object | undefined;
  let page: MiddlewareHandler | undefined;
  app.get('/openapi.json', async (c) => c.json((document ??= (await import('./docs.page.js')).openApiDocument(version))));
  app.get('/docs', async (c, next) => {
    page ??= (await import('./docs.page.js')).referencePage(docsScript && scriptPath);
    return page(c, next);
  });
  if (docsScript) {
    app.get(scriptPath, () => {
      const body = Readable.toWeb(createReadStream(docsScript)) as ReadableStream;
      return new Response(body, { headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400' } });
    });
  }
}
