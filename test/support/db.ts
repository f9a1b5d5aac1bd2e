import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.ts';
import type { Db } from '../../src/db/database.ts';
import { grantAppRole } from '../../src/db/grants.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

/**
 * A fresh, migrated database for one test file: a new PostgreSQL database when DATABASE_URL is set
 * (dropped afterwards), an in-memory PGlite otherwise. Test files never share state.
 *
 * With DATABASE_APP_ROLE also set (as `.ci/run` does), the database is migrated and granted by the
 * owner, and `db`/`pool` — what the service and the tests use — connect as that restricted role, so
 * the whole suite runs with the privileges production has. `owner` stays the owner's connection for
 * the few tests that must act behind the service's back (tampering with the audit chain, injecting a
 * failing trigger).
 */
export interface TestDatabase extends DatabaseHandle {
  url: string | undefined;
  /** The schema owner's connection (the same as `db` when no app role is configured). */
  owner: Db;
  /** The role `db` connects as, when it is not the owner. */
  appRole: string | undefined;
  dispose(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    const handle = await connectDatabase({ inMemory: true });
    await migrateToLatest(handle.db);
    return { ...handle, url: undefined, owner: handle.db, appRole: undefined, dispose: () => handle.close() };
  }
  const name = `envcredit_t_${randomBytes(6).toString('hex')}`;
  await withAdminClient(baseUrl, (client) => client.query(`create database ${name}`));
  const ownerUrl = withDatabaseName(baseUrl, name);
  const owner = await connectDatabase({ databaseUrl: ownerUrl, poolSize: 5 });
  await migrateToLatest(owner.db);
  const appRole = process.env.DATABASE_APP_ROLE || undefined;
  const drop = async () => {
    await withAdminClient(baseUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
  };
  if (!appRole) return { ...owner, url: ownerUrl, owner: owner.db, appRole: undefined, dispose: async () => (await owner.close(), await drop()) };

  await grantAppRole(owner.db, appRole);
  const url = withUser(ownerUrl, appRole);
  const app = await connectDatabase({ databaseUrl: url, poolSize: 5 });
  return {
    ...app,
    url,
    owner: owner.db,
    appRole,
    async dispose() {
      await Promise.all([app.close(), owner.close()]);
      await drop();
    },
  };
}

function withUser(url: string, user: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = '';
  return parsed.toString();
}

export function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Asserts the database refuses a statement that would rewrite history: the owner by the
 * `forbid_history_change()` trigger and, when the suite runs as the service's own role, that role by
 * privilege (SQLSTATE 42501) before any trigger runs.
 */
export async function expectHistoryRefused(database: TestDatabase, statement: string): Promise<void> {
  const failure = async (db: Db) =>
    sql.raw(statement).execute(db).then(
      (): Error & { code?: string } => new Error(`${statement} was accepted`),
      (error: unknown) => error as Error & { code?: string },
    );
  const asOwner = await failure(database.owner);
  if (!/history and cannot be changed/.test(asOwner.message)) throw new Error(`${statement} as the owner: expected the history trigger, got "${asOwner.message}"`);
  if (!database.appRole) return;
  const asApp = await failure(database.db);
  if (asApp.code !== '42501') throw new Error(`${statement} as ${database.appRole}: expected permission denied (42501), got "${asApp.message}"`);
}

/** How many enterprises a run of this period rates: those registered and open at some point in it. */
export async function countExistingDuring(db: Db, period: { start: string; end: string }): Promise<number> {
  const result = await sql<{ n: string }>`
    select count(*) as n from enterprise_current
    where (closed_on is null or closed_on >= ${period.start}) and (registered_on is null or registered_on <= ${period.end})`.execute(db);
  return Number(result.rows[0]!.n);
}
