import { afterEach, describe, expect, it } from 'vitest';
import { apiToken, executeBody, startE2e, type E2eFixture } from '../support/e2e-fixture.js';
import { collectEvents, postExecute } from '../support/sse-client.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

describe('the webhook told of a job\'s end, by the real worker', () => {
  let fx: E2eFixture | undefined;
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await fx?.close();
    await receiver?.close();
    fx = undefined;
    receiver = undefined;
  });

  it('delivers the terminal event once, signed per Standard Webhooks, retrying after a 500; the secret never reaches the stream or the logs', async () => {
    receiver = await startWebhookReceiver();
    fx = await startE2e({ WEBHOOK_ALLOWED_INSECURE_HOSTS: '127.0.0.1', LOG_LEVEL: 'debug' });
    receiver.script({ status: 500 });
    fx.model.script([{ kind: 'text', text: 'notified' }]);
    const events = await collectEvents(
      await postExecute(fx.worker.url, executeBody({ webhook: { url: receiver.url, secret: receiver.secret } }), { token: apiToken }),
    );
    const terminal = events.at(-1)!;
    expect(terminal.data).toMatchObject({ type: 'completed', result: 'notified' });
    await receiver.received(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.deliveries).toHaveLength(2);
    const [failed, delivered] = receiver.deliveries;
    expect(delivered!.headers['webhook-id']).toBe(failed!.headers['webhook-id']);
    expect(receiver.verify(delivered!)).toEqual(terminal.data);
    expect(delivered!.body).toBe(terminal.raw);
    const secretBody = receiver.secret.slice('whsec_'.length);
    expect(events.map((event) => event.raw).join('\n')).not.toContain(secretBody);
    expect(fx.worker.output.join('\n')).not.toContain(secretBody);
    expect(await (await fetch(`${fx.worker.url}/metrics`)).text()).toMatch(/unified_worker_webhook_deliveries_total\{outcome="delivered"\} 1/);
  });

  it('refuses with 400, before any job, a webhook outside the allow list, over plain http, or with a bad secret', async () => {
    receiver = await startWebhookReceiver();
    fx = await startE2e({ WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' });
    const cases: Array<[Record<string, string>, string]> = [
      [{ url: 'https://elsewhere.example.org/hook', secret: receiver.secret }, 'webhook.url'],
      [{ url: receiver.url, secret: receiver.secret }, 'webhook.url'],
      [{ url: 'https://hooks.example.com/hook', secret: 'not-a-secret' }, 'webhook.secret'],
      [{ url: 'ftp://hooks.example.com/hook', secret: receiver.secret }, 'webhook.url'],
    ];
    for (const [webhook, path] of cases) {
      const response = await postExecute(fx.worker.url, executeBody({ webhook }), { token: apiToken });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; issues: Array<{ path: string; message: string }> } };
      expect(body.error.code).toBe('VALIDATION_FAILED');
      expect(body.error.issues.map((issue) => issue.path)).toContain(path);
    }
    expect(fx.model.mainLoopRequests()).toEqual([]);
    expect(receiver.deliveries).toEqual([]);
  });

  it('never follows a redirect: the 302 is the last request, and the job still ends as it did', async () => {
    receiver = await startWebhookReceiver();
    fx = await startE2e({ WEBHOOK_ALLOWED_INSECURE_HOSTS: '127.0.0.1' });
    receiver.script({ status: 302, headers: { location: receiver.urlOf('/elsewhere') } });
    fx.model.script([{ kind: 'text', text: 'redirected' }]);
    const events = await collectEvents(
      await postExecute(fx.worker.url, executeBody({ webhook: { url: receiver.url, secret: receiver.secret } }), { token: apiToken }),
    );
    expect(events.at(-1)?.data).toMatchObject({ type: 'completed' });
    await fx.worker.logged('job ended');
    expect(receiver.deliveriesTo('/elsewhere')).toEqual([]);
    expect(receiver.deliveries).toHaveLength(1);
    expect(await (await fetch(`${fx.worker.url}/metrics`)).text()).toMatch(/unified_worker_webhook_deliveries_total\{outcome="failed"\} 1/);
  });
});
