/** The one query call the DB API needs; node-postgres and PGlite both answer it. */
export interface Sql {
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  close(): Promise<void>;
}

/**
 * PostgreSQL at DATABASE_URL through node-postgres, or without one an embedded PostgreSQL
 * (PGlite: PostgreSQL compiled to WebAssembly, in-process, nothing to install), kept in
 * `dataDir` or in memory.
 */
export async function openSql(databaseUrl: string | undefined, dataDir: string | undefined): Promise<Sql> {
  if (databaseUrl) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    return {
      query: async <Row>(text: string, params?: unknown[]) => ({ rows: (await pool.query(text, params)).rows as Row[] }),
      close: () => pool.end(),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  return {
    query: async <Row>(text: string, params?: unknown[]) => ({ rows: (await db.query<Row>(text, params)).rows }),
    close: () => db.close(),
  };
}
