import { mkdirSync } from 'node:fs';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import type { Database, Db } from './database.ts';
import { PGliteDialect } from './pglite-dialect.ts';

const DATE_OID = 1082;
const INT8_OID = 20;
const NUMERIC_OID = 1700;

// Calendar dates stay 'YYYY-MM-DD' strings (a JS Date would shift them by the server's time zone);
// numerics stay strings (exact); bigserial ids fit in a double, so they become numbers.
pg.types.setTypeParser(DATE_OID, (value) => value);
pg.types.setTypeParser(INT8_OID, (value) => Number(value));

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** The raw pg pool (postgres only), for COPY and other driver-level work. */
  pool?: pg.Pool;
  close(): Promise<void>;
}

export interface ConnectOptions {
  databaseUrl?: string | undefined;
  dataDir?: string;
  /** PGlite in memory, for tests of the embedded path. */
  inMemory?: boolean;
  poolSize?: number;
}

export function connectionOptionsFrom(config: Config): ConnectOptions {
  return { databaseUrl: config.databaseUrl, dataDir: config.dataDir };
}

export async function connectDatabase(options: ConnectOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      // Short, so a request fails fast (SERVICE_UNAVAILABLE) rather than queueing while the database is unreachable.
      connectionTimeoutMillis: 2_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its server must not crash the process; the next checkout reconnects.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    await assertReachable(db, options.databaseUrl);
    return { db, kind: 'postgres', pool, close: () => db.destroy() };
  }
  const dataDir = options.inMemory ? undefined : (options.dataDir ?? './data');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir ? `file://${dataDir}/pglite` : 'memory://', {
    parsers: {
      [DATE_OID]: (value: string) => value,
      [INT8_OID]: (value: string) => Number(value),
      [NUMERIC_OID]: (value: string) => value,
    },
    serializers: { [pgliteTypes.DATE]: (value: unknown) => String(value) },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: 'pglite', close: () => db.destroy() };
}

/** DATABASE_URL as it can be printed: scheme, user, host, port and database, never the password or query. */
export function printableDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.host}${url.pathname}`;
  } catch {
    return '(an unparseable URL)';
  }
}

/**
 * One round trip at connect time, so an unreachable server is reported as that, naming DATABASE_URL,
 * rather than as whatever query came first ("migration (unknown) failed: connect ECONNREFUSED").
 */
async function assertReachable(db: Kysely<Database>, databaseUrl: string): Promise<void> {
  try {
    await pingDatabase(db);
  } catch (error) {
    // `select 1` fails only for want of a connection: refused, timed out, wrong password, no such database.
    await db.destroy();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot connect to the database at DATABASE_URL ${printableDatabaseUrl(databaseUrl)}: ${reason}`, { cause: error });
  }
}

export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
