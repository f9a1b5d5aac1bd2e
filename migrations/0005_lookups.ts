import { sql, type Kysely } from 'kysely';
import { protectHistory } from './history.ts';

/*
 * Lookups by banks, finance departments and insurers (docs/LOOKUPS.md):
 * - credit_inquiries: the inquiry log, one row per enterprise checked by an institution (history);
 * - watches: each institution's current watch list (a subscription, so unwatch deletes its row);
 * - credit_changes: an append-only feed of changes to what a lookup answers (history), written by
 *   triggers on the tables that change it, so no writer can forget it. Each row records the
 *   writing transaction (`txid`); the feed only hands out rows whose transaction is older than every
 *   transaction still running and orders them by (txid, id), so a reader's cursor never skips a row
 *   that commits later.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('credit_inquiries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('institution_role', 'text', (c) => c.notNull())
    .addColumn('institution_org', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('LOAN', 'FISCAL_FUND', 'INSURANCE')`))
    .addColumn('credit_code', sql`char(18)`, (c) => c.notNull())
    .addColumn('as_of', 'timestamptz', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull().check(sql`verdict in ('PRIORITY', 'ELIGIBLE', 'CAUTION', 'RESTRICTED', 'PROHIBITED')`))
    .addColumn('rated', 'boolean', (c) => c.notNull())
    .addColumn('level', 'text')
    .addColumn('batch', 'boolean', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    /** The service clock's time of the check (legal time). */
    .addColumn('asked_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('credit_inquiries_code').on('credit_inquiries').columns(['credit_code', 'id']).execute();
  await db.schema.createIndex('credit_inquiries_org').on('credit_inquiries').columns(['institution_org', 'id']).execute();

  await db.schema
    .createTable('watches')
    .addColumn('institution_org', 'text', (c) => c.notNull())
    .addColumn('credit_code', sql`char(18)`, (c) => c.notNull())
    .addColumn('watched_by', 'text', (c) => c.notNull())
    .addColumn('watched_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('watches_pk', ['institution_org', 'credit_code'])
    .execute();
  await db.schema.createIndex('watches_code').on('watches').columns(['credit_code']).execute();

  await db.schema
    .createTable('credit_changes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('txid', sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
    .addColumn('credit_code', sql`char(18)`, (c) => c.notNull())
    .addColumn('source_table', 'text', (c) => c.notNull())
    .addColumn('source_id', 'bigint', (c) => c.notNull())
    /** When the change takes effect (the effect's or event's own instant). */
    .addColumn('effective_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('credit_changes_order').on('credit_changes').columns(['txid', 'id']).execute();
  await db.schema.createIndex('credit_changes_code').on('credit_changes').columns(['credit_code', 'id']).execute();

  // Generic: any table with `id` and `credit_code` columns; the instant is the row's own
  // effective_from / effective_at / at / listed_at when it has one, else now().
  await sql`
    create function record_credit_change() returns trigger language plpgsql as $$
    declare
      r jsonb := to_jsonb(new);
    begin
      insert into credit_changes (credit_code, source_table, source_id, effective_at)
      values (
        r->>'credit_code', tg_table_name, (r->>'id')::bigint,
        coalesce((r->>'effective_from')::timestamptz, (r->>'effective_at')::timestamptz, (r->>'at')::timestamptz,
                 (r->>'listed_at')::timestamptz, now()));
      return null;
    end $$`.execute(db);
  for (const table of ['rating_effects', 'blacklist_events', 'leader_events']) {
    await sql`
      create trigger ${sql.raw(`${table}_feed`)} after insert on ${sql.table(table)}
      for each row execute function record_credit_change()`.execute(db);
  }

  await protectHistory(db, ['credit_inquiries', 'credit_changes']);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
