import { sql, type Kysely } from 'kysely';
import { protectHistory } from './history.ts';

/*
 * The tamper-evident audit log (issue 7, docs/SECURITY.md "Audit"). One row per audited GraphQL
 * operation (every mutation, every operation by a bank, insurer or finance department), appended
 * after the result is known. Rows are hash-chained: `prev_hash` is the previous row's `hash` (64
 * zeros for the first row) and `hash` is SHA-256 over the row's canonical content including
 * `prev_hash` (src/audit/chain.ts). Appends take a transaction-scoped advisory lock, so the chain
 * never forks; the row is history (UPDATE, DELETE and TRUNCATE refused by trigger).
 *
 * Depends only on 0001 (forbid_history_change) so it does not care which other tables exist.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    /** Token subject, or 'anonymous'. */
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('role', 'text')
    .addColumn('org', 'text')
    .addColumn('operation_type', 'text', (c) => c.notNull().check(sql`operation_type in ('query', 'mutation', 'subscription')`))
    .addColumn('operation_name', 'text')
    /** Root fields the operation selected, in document order. */
    .addColumn('root_fields', sql`text[]`, (c) => c.notNull())
    /** SHA-256 of the printed document and of the canonical JSON of the variables (values are not stored). */
    .addColumn('document_digest', 'text', (c) => c.notNull())
    .addColumn('variables_digest', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('OK', 'ERROR', 'PARTIAL')`))
    .addColumn('error_code', 'text')
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull().check(sql`prev_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('hash', 'text', (c) => c.notNull().unique().check(sql`hash ~ '^[0-9a-f]{64}$'`))
    .execute();
  await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor', 'id']).execute();

  await protectHistory(db, ['audit_log']);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only: the audit log is history and is never dropped');
}
