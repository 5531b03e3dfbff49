import { Validator } from '@seriousme/openapi-schema-validator';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
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

  it('renders an interactive reference in a browser, served without any CDN, that shows POST /execute', async () => {
    if (!existsSync(chromiumPath)) throw new Error('chromium is not installed (scripts/test-deps.sh installs it)');
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const offsite: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(fx.worker.url) && !request.url().startsWith('data:')) offsite.push(request.url());
      });
      await page.route((url) => !url.href.startsWith(fx.worker.url), (route) => route.abort());
      await page.goto(`${fx.worker.url}/docs`);
      await page.getByText('/execute').first().waitFor({ timeout: 20_000 });
      expect(await page.locator('body').innerText()).toMatch(/POST\s*\/execute/i);
      expect(offsite.filter((url) => !url.includes('fonts.') && !url.includes('scalar.com'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
