import { sql } from 'kysely';
import { EVIDENCE_TABLES, type Db } from './database.ts';

/**
 * Bulk writers (an import, the demo seed) check a whole table against what they are about to add,
 * then add it; single writers (one GraphQL mutation) add one row. An advisory lock per table keeps
 * the two apart: bulk writers hold it exclusively, single writers shared, so single writers never
 * wait for each other and a bulk writer's check stays true until it commits.
 *
 * A LOCK TABLE in SHARE ROW EXCLUSIVE mode would do the same, but PostgreSQL grants that mode only to
 * roles with UPDATE, DELETE or TRUNCATE on the table, which the service's own role rightly lacks on
 * history (docs/SECURITY.md "Database role"). Both lock kinds are transaction-scoped.
 */
export function tableWriteLockKey(table: string): string {
  return `envcredit:writes:${table}`;
}

export async function lockTableForSingleWrite(trx: Db, table: string): Promise<void> {
  await sql`select pg_advisory_xact_lock_shared(hashtext(${tableWriteLockKey(table)}))`.execute(trx);
}

export async function lockTableForBulkWrite(trx: Db, table: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${tableWriteLockKey(table)}))`.execute(trx);
}

/** The same exclusive lock for a driver-level session (pg client) inside its own transaction. */
export const BULK_WRITE_LOCK_SQL = 'select pg_advisory_xact_lock(hashtext($1))';

/** The tables whose writes a rating run must not overlap when it fixes its start: evidence and enterprise facts. */
const RATED_TABLES: readonly string[] = [...Object.values(EVIDENCE_TABLES), 'enterprise_revisions'].sort();

/**
 * Takes every rated table's write lock exclusively (a run fixing its start; the demo seed), in one fixed order (writers hold one table's
 * lock, so this cannot deadlock with them), until the caller's transaction ends: it returns once
 * every write in progress has committed or rolled back.
 */
export async function waitForEvidenceWrites(trx: Db): Promise<void> {
  for (const table of RATED_TABLES) await lockTableForBulkWrite(trx, table);
}
