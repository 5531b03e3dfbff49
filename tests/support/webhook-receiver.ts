import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as it arrived: what the signature covers. */
  body: string;
}

/** How the receiver answers one request: a status (with headers), a dropped connection, or never. */
export type ScriptedAnswer = { status: number; headers?: Record<string, string> } | { reset: true } | { hang: true };

export interface WebhookReceiver {
  /** http://127.0.0.1:PORT/hooks/job-done */
  readonly url: string;
  /** A fresh Standard Webhooks secret, whsec_ and 32 random bytes in base64. */
  readonly secret: string;
  /** Every request, to any path, in order of arrival. */
  readonly deliveries: ReceivedDelivery[];
  urlOf(path: string): string;
  deliveriesTo(path: string): ReceivedDelivery[];
  /** Answers the next requests in this order; once they are used up, 200. */
  script(...answers: ScriptedAnswer[]): void;
  /** Resolves once `count` requests have arrived. */
  received(count: number): Promise<void>;
  /** What a receiver does with the standardwebhooks package: the parsed payload, or a throw when the signature is wrong. */
  verify(delivery: ReceivedDelivery): unknown;
  close(): Promise<void>;
}

const single = (value: string | string[] | undefined): string => (Array.isArray(value) ? value.join(', ') : (value ?? ''));

/** A webhook receiver on 127.0.0.1 that records what it is sent and answers as scripted. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const deliveries: ReceivedDelivery[] = [];
  const answers: ScriptedAnswer[] = [];
  const held = new Set<ServerResponse>();
  const waiters: { count: number; resolve: () => void }[] = [];

  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.once('end', () => {
      deliveries.push({ path: request.url ?? '/', headers: request.headers, body: Buffer.concat(parts).toString('utf8') });
      for (const waiter of waiters.filter((w) => deliveries.length >= w.count)) waiter.resolve();
      const answer = answers.shift() ?? { status: 200 };
      if ('reset' in answer) return request.socket.destroy();
      if ('hang' in answer) return void held.add(response);
      response.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${base}/hooks/job-done`,
    secret,
    deliveries,
    urlOf: (path) => `${base}${path}`,
    deliveriesTo: (path) => deliveries.filter((delivery) => delivery.path === path),
    script: (...next) => void answers.push(...next),
    received: (count) => (deliveries.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    verify: (delivery) =>
      new Webhook(secret).verify(delivery.body, {
        'webhook-id': single(delivery.headers['webhook-id']),
        'webhook-timestamp': single(delivery.headers['webhook-timestamp']),
        'webhook-signature': single(delivery.headers['webhook-signature']),
      }),
    close: async () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
