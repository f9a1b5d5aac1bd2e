import { sql, type Kysely } from 'kysely';
import { protectHistory } from './history.ts';

/*
 * A rule version is immutable once a rating used it: the first use records its content hash here,
 * and start-up refuses a rules directory whose file for that version now hashes differently.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rule_versions')
    .addColumn('rule_set_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull().check(sql`content_hash ~ '^sha256:[0-9a-f]{64}$'`))
    .addColumn('first_used_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('first_used_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_versions_pk', ['rule_set_id', 'version'])
    .execute();
  await protectHistory(db, ['rule_versions']);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
