import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { bodyLimit } from 'hono/body-limit';
import { ChunkFeed } from './chunk-feed.js';
import { chunksRoutes } from './chunks.route.js';
import { eventsRoute } from './events.route.js';
import { leaseRoutes } from './lease.route.js';
import { LeaseSweeper, type LostJob } from './lease-sweeper.js';
import { sessionsRoutes } from './sessions.route.js';
import { snapshotRoutes } from './snapshot.route.js';
import type { Sql } from './sql.js';
import { defaultWebhookTiming, deliverWebhook, type WebhookTiming } from './webhook-delivery.js';

export interface DbApiOptions {
  sql: Sql;
  /** The bearer token every /sessions route requires. */
  token: string;
  /** How often lapsed leases are looked for (DB_API_LEASE_SWEEP_MS); 0 sweeps never. Default 1000. */
  leaseSweepMs?: number;
  /** How often a live reader looks for chunks it was not notified of. Default 1000. */
  pollMs?: number;
  /** A reader's silence before a keep-alive comment. Default 15000. */
  keepAliveMs?: number;
  webhook?: Partial<WebhookTiming>;
  /** One JSON-able line per thing worth knowing (a lost job, a failed webhook, a database error). */
  log?: (line: Record<string, unknown>) => void;
}

export interface DbApi {
  app: Hono;
  /** Event-stream readers connected now. */
  readers(): number;
  /** Stops the sweeper, webhook deliveries and listening; the caller closes the server and the Sql. */
  close(): Promise<void>;
}

/** The reference DB API (docs/db-api.md) on PostgreSQL. */
export function createDbApiApp(options: DbApiOptions): DbApi {
  const { sql, token, log = () => undefined } = options;
  const failed = (what: string) => (error: unknown) => log({ msg: what, error: error instanceof Error ? error.message : String(error) });
  const feed = new ChunkFeed(sql, failed('listen failed'));
  const timing = { pollMs: options.pollMs ?? 1000, keepAliveMs: options.keepAliveMs ?? 15_000 };
  const webhookTiming = { ...defaultWebhookTiming, ...options.webhook };
  const closing = new AbortController();
  const deliveries = new Set<Promise<unknown>>();

  const onLost = (lost: LostJob): void => {
    log({ msg: 'worker lost', sessionId: lost.sessionId, jobId: lost.jobId });
    if (!lost.webhook) return;
    const message = { id: `msg_${lost.sessionId}_${lost.jobId}_worker_lost`, payload: JSON.stringify(lost.event) };
    const delivery = deliverWebhook(lost.webhook, message, webhookTiming, closing.signal).then((outcome) =>
      log({ msg: 'webhook', sessionId: lost.sessionId, jobId: lost.jobId, ...outcome }),
    );
    deliveries.add(delivery);
    void delivery.finally(() => deliveries.delete(delivery));
  };
  const sweepMs = options.leaseSweepMs ?? 1000;
  const sweeper = new LeaseSweeper(sql, sweepMs, onLost, failed('lease sweep failed'));
  if (sweepMs > 0) sweeper.start();

  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.use('/sessions/*', bearerAuth({ token }), bodyLimit({ maxSize: 64 * 1024 * 1024 }));
  app.route('/', chunksRoutes(sql));
  app.route('/', eventsRoute(sql, feed, timing));
  app.route('/', sessionsRoutes(sql));
  app.route('/', snapshotRoutes(sql));
  app.route('/', leaseRoutes(sql));

  return {
    app,
    readers: () => feed.size,
    close: async () => {
      await sweeper.stop();
      closing.abort();
      await Promise.all(deliveries);
      await feed.close();
    },
  };
}
