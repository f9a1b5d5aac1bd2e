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

/** Transaction-scoped advisory locks on a text key: held until the caller's transaction ends. */
async function holdExclusive(trx: Db, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
}

async function holdShared(trx: Db, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock_shared(hashtext(${key}))`.execute(trx);
}

export const lockTableForSingleWrite = (trx: Db, table: string) => holdShared(trx, tableWriteLockKey(table));

export const lockTableForBulkWrite = (trx: Db, table: string) => holdExclusive(trx, tableWriteLockKey(table));

/** The same exclusive lock for a driver-level session (pg client) inside its own transaction. */
export const BULK_WRITE_LOCK_SQL = 'select pg_advisory_xact_lock(hashtext($1))';

/**
 * The tables whose writes a rating run must not overlap when it fixes its start: evidence, enterprise
 * facts, and the leader register (a rating reads leader standing as recorded by its instant; register
 * writers take this lock in lockRegisters, src/registers/store.ts).
 */
const RATED_TABLES: readonly string[] = [...Object.values(EVIDENCE_TABLES), 'enterprise_revisions', 'leader_events'].sort();

/** The write lock register writers hold shared (both registers: a blacklisting can end a leadership). */
export const REGISTER_WRITE_LOCK_TABLE = 'leader_events';

/**
 * Waits until every evidence, enterprise or leader-register write in progress has ended: takes each
 * rated table's write lock exclusively at session level and releases it at once, one after another, so a
 * run never holds one table's lock while it waits for another's (which would stall every writer of
 * the first behind an import of the second). A writer holds its table's lock from before it stamps
 * `recorded_at` until it commits, so once this returns, every row stamped before the caller's
 * transaction began is committed; rows stamped later carry a later `recorded_at`.
 */
export async function waitForEvidenceWrites(trx: Db): Promise<void> {
  for (const table of RATED_TABLES) {
    await sql`select pg_advisory_lock(hashtext(${tableWriteLockKey(table)}))`.execute(trx);
    await sql`select pg_advisory_unlock(hashtext(${tableWriteLockKey(table)}))`.execute(trx);
  }
}

/**
 * Waits until every bulk write in progress (an import, a publication, the seed) has ended, and keeps
 * new ones from starting until the caller's transaction ends: each rated table's write lock, shared.
 * Single writers hold the same locks shared, so they do not wait for each other or for this.
 */
export async function waitForBulkEvidenceWrites(trx: Db): Promise<void> {
  for (const table of RATED_TABLES) await lockTableForSingleWrite(trx, table);
}

/**
 * One enterprise's effects lock: a dynamic adjustment or a correction holds it exclusively while it
 * reads the enterprise's evidence and puts a rating into effect (src/rating/dynamic.ts), and every
 * single write of the enterprise's evidence or registration holds it shared from before it stamps
 * `recorded_at` until it commits. So an adjustment reads only once no write of that enterprise is in
 * flight, and a write it does not see is stamped after it: its replay sees what it saw.
 */
export function enterpriseEffectsLockKey(creditCode: string): string {
  return `envcredit:effects:${creditCode}`;
}

export const lockEnterpriseForEffect = (trx: Db, creditCode: string) => holdExclusive(trx, enterpriseEffectsLockKey(creditCode));

export const lockEnterpriseForWrite = (trx: Db, creditCode: string) => holdShared(trx, enterpriseEffectsLockKey(creditCode));

/** Every rated table's write lock, exclusively, until the caller's transaction ends (a bulk writer of all of them: the demo seed). */
export async function lockEvidenceTablesForBulkWrite(trx: Db): Promise<void> {
  for (const table of RATED_TABLES) await lockTableForBulkWrite(trx, table);
}
