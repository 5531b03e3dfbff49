/** What the DB API needs of PostgreSQL; node-postgres and PGlite both answer it. */
export interface Sql {
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  /** LISTEN on `channel` until the returned function is called; a lost connection is re-established. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

// How long a lost listening connection waits before it connects again.
const relistenMs = 1000;

/**
 * PostgreSQL at DATABASE_URL through node-postgres, or without one an embedded PostgreSQL
 * (PGlite: PostgreSQL compiled to WebAssembly, in-process, nothing to install), kept in
 * `dataDir` or in memory.
 */
export async function openSql(databaseUrl: string | undefined, dataDir: string | undefined): Promise<Sql> {
  if (databaseUrl) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    // An idle pooled connection the server drops would otherwise crash the process.
    pool.on('error', () => undefined);
    return {
      query: async <Row>(text: string, params?: unknown[]) => ({ rows: (await pool.query(text, params)).rows as Row[] }),
      // LISTEN holds its connection for as long as it listens, so it gets one of its own, outside the pool.
      listen: async (channel, onNotify) => {
        let client: InstanceType<typeof pg.Client> | undefined;
        let stopped = false;
        let retry: NodeJS.Timeout | undefined;
        const reconnect = (): void => {
          if (!stopped) retry = setTimeout(() => void connect().catch(reconnect), relistenMs);
        };
        const connect = async (): Promise<void> => {
          const next = new pg.Client({ connectionString: databaseUrl });
          next.on('notification', (message) => message.channel === channel && onNotify(message.payload ?? ''));
          next.on('error', () => {
            // Notifications sent while no connection listens are lost; readers poll besides.
            if (client !== next) return;
            client = undefined;
            void next.end().catch(() => undefined);
            reconnect();
          });
          try {
            await next.connect();
            await next.query(`listen "${channel}"`);
          } catch (error) {
            void next.end().catch(() => undefined);
            throw error;
          }
          if (stopped) await next.end();
          else client = next;
        };
        await connect();
        return async () => {
          stopped = true;
          clearTimeout(retry);
          await client?.end().catch(() => undefined);
        };
      },
      close: () => pool.end(),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  return {
    query: async <Row>(text: string, params?: unknown[]) => ({ rows: (await db.query<Row>(text, params)).rows }),
    listen: async (channel, onNotify) => {
      const unlisten = await db.listen(channel, onNotify);
      return async () => unlisten();
    },
    close: () => db.close(),
  };
}
