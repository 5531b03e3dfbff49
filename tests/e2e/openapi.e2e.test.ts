import { Validator } from '@seriousme/openapi-schema-validator';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Redactor } from '../../src/domain/redactor.js';
import { createContainer } from '../../src/infrastructure/container.js';
import { loadConfig } from '../../src/infrastructure/config.js';
import { Tokens } from '../../src/infrastructure/tokens.js';
import type { Hono } from 'hono';
import { apiToken, startE2e, type E2eFixture } from '../support/e2e-fixture.js';

const chromiumPath = '/usr/bin/chromium';

describe('the API described: GET /openapi.json and GET /docs', () => {
  let fx: E2eFixture;
  let document: { paths: Record<string, Record<string, unknown>> };
  beforeAll(async () => {
    fx = await startE2e();
    document = (await (await fetch(`${fx.worker.url}/openapi.json`)).json()) as typeof document;
  });
  afterAll(async () => fx?.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(document as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((document as { openapi?: string }).openapi).toBe('3.1.0');
  });

  it('describes every route the worker serves', () => {
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const clis = { claude: { executable: 'claude' }, codex: { executable: 'codex' }, gemini: { executable: 'gemini' }, opencode: { executable: 'opencode' }, copilot: { executable: 'copilot' } };
    const config = loadConfig({ WORKER_API_TOKEN: apiToken }, { cwd: '/tmp', version: 'test', clis });
    const app = createContainer(config, silent, new Redactor()).get<Hono>(Tokens.HttpApp);
    // hono writes a path parameter `:name`, OpenAPI `{name}`.
    const served = app.routes.filter((route) => route.method !== 'ALL').map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    const described = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    // The reference page's own script is an asset of /docs, not part of the API.
    expect(served.filter((route) => route !== 'GET /docs/scalar.js').sort()).toEqual([...new Set(described)].sort());
  });

  it('takes the request schema from the one the server validates with', () => {
    const request = (document as unknown as { components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> } }).components.schemas.ExecuteRequest!;
    expect(Object.keys(request.properties).sort()).toEqual(
      ['codingAssistantAccessToken', 'codingAssistantProvider', 'database', 'github', 'onDisconnect', 'providerOptions', 'resumeSessionId', 'userRequest', 'webhook', 'workspace'].sort(),
    );
    expect(request.required.sort()).toEqual(['codingAssistantProvider', 'userRequest']);
  });

  it('declares the bearer scheme that every guarded operation requires', () => {
    const { components, paths } = document as unknown as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    expect(components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
    const guarded = Object.values(paths).flatMap((operations) => Object.values(operations).filter((operation) => operation.security));
    expect(guarded.length).toBeGreaterThan(0);
    for (const operation of guarded) expect(operation.security).toEqual([{ bearer: [] }]);
  });

  describe('the reference page, in a browser that can reach nothing but the worker', () => {
    let browser: Browser;
    let page: Page;
    /** Every request the page made to another origin (each refused). */
    const offsite: string[] = [];
    beforeAll(async () => {
      if (!existsSync(chromiumPath)) throw new Error('chromium is not installed (scripts/test-deps.sh installs it)');
      browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
      page = await browser.newPage();
      // Parsing the page's 5 MB script takes 20 s on a busy two-core machine.
      page.setDefaultTimeout(45_000);
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.origin !== fx.worker.url && url.protocol !== 'data:' && url.protocol !== 'blob:') offsite.push(url.href);
      });
      await page.route((url) => url.origin !== fx.worker.url, (route) => route.abort());
      await page.goto(`${fx.worker.url}/docs`);
      // The introduction and the sidebar's footer hold the buttons looked for below; the fonts
      // are what a page fetches from elsewhere after it renders.
      await page.getByText('Download OpenAPI Document').first().waitFor();
      await page.getByText('Powered by Scalar').waitFor();
      await page.evaluate('document.fonts.ready.then(() => undefined)');
    }, 120_000);
    afterAll(async () => browser?.close());

    it('renders an interactive reference served by the worker alone, without a CDN or web fonts, that shows POST /execute', async () => {
      expect(await page.locator('body').innerText()).toMatch(/POST\s*\/execute/i);
      expect(offsite).toEqual([]);
    });

    it('offers no button that needs a service outside the worker', async () => {
      const text = await page.locator('body').innerText();
      const hosted = ['Ask AI', 'Generate SDK', 'Generate MCP', 'Connect MCP', 'Developer Tools', 'Share', 'Deploy', 'Open API Client'];
      expect(hosted.filter((label) => text.includes(label))).toEqual([]);
      expect(await page.getByRole('button', { name: 'Test Request' }).count()).toBeGreaterThan(0);
    });

    it('selects the bearer scheme and names the worker the page came from as the server', async () => {
      const text = await page.locator('body').innerText();
      expect(text.match(/No authentication selected/g) ?? []).toEqual([]);
      expect(/Selected Auth Type:\s*(\S+)/.exec(text)?.[1]).toBe('bearer');
      expect(text).toContain("The worker's WORKER_API_TOKEN");
      expect(/Server:\s*(\S+)/.exec(text)?.[1]).toBe(fx.worker.url);
      expect(text).toContain(`curl ${fx.worker.url}/execute`);
    });

    it('sends a test request to that worker with the token typed into the bearer scheme', async () => {
      const operation = page.locator('[id$="/POST/cancel"]');
      // Operations render as they scroll into view.
      await operation.scrollIntoViewIfNeeded();
      await operation.getByRole('button', { name: 'Test Request' }).click();
      const client = page.getByRole('dialog');
      await client.getByText(/Selected Auth Type:\s*bearer/).waitFor();
      await client.getByLabel('Bearer Token').fill(apiToken);
      const sent = page.waitForRequest((request) => request.method() === 'POST' && request.url() === `${fx.worker.url}/cancel`);
      await client.getByRole('button', { name: 'Send post request' }).click();
      expect((await sent).headers().authorization).toBe(`Bearer ${apiToken}`);
      // The worker's own answer: authorized, with no job to cancel.
      await client.getByText('NO_RUNNING_JOB').first().waitFor();
      expect(offsite).toEqual([]);
    });
  });
});
