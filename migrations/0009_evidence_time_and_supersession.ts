import { sql, type Kysely } from 'kysely';

/*
 * Two guarantees the application kept, now kept by the database too.
 *
 * 1. recorded_at is the moment a row was written, not the moment its transaction began. A rating
 *    reads evidence "as recorded by" its start; with now() (the transaction's start) an import that
 *    began before a run started but committed after it carried an earlier recorded_at than the run,
 *    so the run did not see it (uncommitted) but a replay did, and the rating could not be reproduced.
 *    Writers take the table's write lock before inserting and a run takes every table's lock before
 *    its start is fixed (src/db/locks.ts), so with clock_timestamp() a row is either committed before
 *    the run reads and recorded before it started, or recorded after it started.
 *
 * 2. A correction or withdrawal supersedes a record of the same enterprise. The mutations check it;
 *    without this trigger the application role could still hide another enterprise's record by
 *    inserting a row that supersedes it. The WHEN clause keeps the check off the bulk path (new
 *    records supersede nothing).
 */
const EVIDENCE_TABLES = ['violations', 'emission_records', 'clean_production_audits', 'information_disclosures', 'verified_complaints', 'permit_execution_reports'];

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of [...EVIDENCE_TABLES, 'enterprise_revisions']) {
    await sql`alter table ${sql.table(table)} alter column recorded_at set default clock_timestamp()`.execute(db);
  }
  await sql`
    create function forbid_foreign_supersession() returns trigger language plpgsql as $$
    declare
      target_code text;
    begin
      execute format('select credit_code from %I where id = $1', TG_TABLE_NAME) into target_code using new.supersedes_id;
      if target_code is distinct from new.credit_code then
        raise exception '% row supersedes record % of another enterprise (%), not of %', TG_TABLE_NAME, new.supersedes_id, target_code, new.credit_code
          using errcode = 'integrity_constraint_violation';
      end if;
      return new;
    end $$`.execute(db);
  for (const table of [...EVIDENCE_TABLES, 'ratings']) {
    await sql`
      create trigger ${sql.raw(`${table}_same_enterprise`)} before insert on ${sql.table(table)}
      for each row when (new.supersedes_id is not null) execute function forbid_foreign_supersession()`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
