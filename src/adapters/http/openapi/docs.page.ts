import { Scalar } from '@scalar/hono-api-reference';
import { openApiDocument, securitySchemeName } from './openapi.document.js';

// Loaded on the first request for the docs: a worker restarts after every job and should not
// parse the schema converter and the reference page at each start.
export { openApiDocument };

/** The reference page, for a worker that may have no internet: everything on it works offline. */
export const referencePage = (cdn: string | undefined) =>
  Scalar({
    url: '/openapi.json',
    pageTitle: 'unified-worker API',
    ...(cdn && { cdn }),
    // A relative server resolves against the page's own origin in the browser, so requests go to
    // the worker that served the page, behind a proxy too (the server only knows its own socket).
    servers: [{ url: '/', description: 'This worker' }],
    // Selected in the introduction and in every request the page sends; the token is left for the
    // reader to type, as the page is public and must never carry the worker's own.
    authentication: { preferredSecurityScheme: securitySchemeName },
    // Scalar 1.76 offers its hosted services as buttons, most of them only when the page is on
    // localhost or 127.0.0.1, which is where a worker's page is usually read.
    // "Ask AI" talks to Scalar's agent service.
    agent: { disabled: true },
    // "Generate SDKs & MCP" and "Generate MCP" send the document to Scalar's registry.
    mcp: { disabled: true },
    // The developer tools bar's "Share" and "Deploy" upload the document to Scalar; 'never' also
    // removes the "Generate SDK" buttons.
    showDeveloperTools: 'never',
    // The sidebar's "Open API Client" opens client.scalar.com; "Test Request" stays, in the page.
    hideClientButton: true,
    // The default fonts are fetched from fonts.scalar.com; the browser's own fonts need nothing.
    withDefaultFonts: false,
  });
