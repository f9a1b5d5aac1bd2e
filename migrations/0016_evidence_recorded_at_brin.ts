import { sql, type Kysely } from 'kysely';

/*
 * Publication looks for records recorded since its run started (src/rating/lifecycle.ts,
 * rerateWhereEvidenceChanged) while it holds every evidence writer's lock. Evidence is append-only and
 * recorded_at comes from clock_timestamp() at insert, so it rises with the table's physical order: a
 * BRIN index answers "recorded after X" from the last block ranges, costs a few pages, and adds
 * next to nothing to an import (a btree on recorded_at would add an index entry per row).
 */
const EVIDENCE_TABLES = ['violations', 'emission_records', 'clean_production_audits', 'information_disclosures', 'verified_complaints', 'permit_execution_reports'];

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of EVIDENCE_TABLES) {
    await sql`create index ${sql.raw(`${table}_recorded_brin`)} on ${sql.table(table)} using brin (recorded_at) with (autosummarize = on)`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
