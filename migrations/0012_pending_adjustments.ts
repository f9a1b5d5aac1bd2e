import { sql, type Kysely } from 'kysely';
import { protectHistory } from './history.ts';

/*
 * Dynamic adjustments an import owes (src/rating/pending-adjustments.ts). The import records, in its
 * own transaction, which of the violations it stored await their adjustment; once it has committed
 * they are made, and their completion is recorded. A process that dies in between leaves a pending
 * row without a completion, which the next start-up of the service or the next `envcredit import`
 * finds and applies. Both tables are history like everything they describe: a completion is a row
 * of its own, never an update of the pending one, and the app role needs only SELECT and INSERT.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pending_adjustments')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    /** The violations the import stored (ids of `violations`), each owed its dynamic adjustment. */
    .addColumn('violation_ids', sql`bigint[]`, (c) => c.notNull().check(sql`cardinality(violation_ids) > 0`))
    /** Who the adjustments are recorded as (the rating runs' and effects' actor). */
    .addColumn('adjust_as', 'text', (c) => c.notNull().check(sql`length(adjust_as) between 1 and 300`))
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();

  await db.schema
    .createTable('pending_adjustment_completions')
    .addColumn('pending_id', 'bigint', (c) => c.primaryKey().references('pending_adjustments.id'))
    /** Adjustments this completion put into effect (an earlier, interrupted attempt's are not counted again). */
    .addColumn('adjusted', 'integer', (c) => c.notNull().check(sql`adjusted >= 0`))
    .addColumn('completed_by', 'text', (c) => c.notNull().check(sql`length(completed_by) between 1 and 300`))
    .addColumn('completed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();

  await protectHistory(db, ['pending_adjustments', 'pending_adjustment_completions']);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
