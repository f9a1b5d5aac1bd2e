import { sql, type Kysely } from 'kysely';

/*
 * Publication asks which records were corrected or withdrawn since its run started
 * (src/rating/lifecycle.ts, rerateWhereEvidenceChanged): a partial index on when those rows were
 * written answers it from the few recent ones, not every correction ever made.
 */
const EVIDENCE_TABLES = ['violations', 'emission_records', 'clean_production_audits', 'information_disclosures', 'verified_complaints', 'permit_execution_reports'];

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of EVIDENCE_TABLES) {
    await sql`create index ${sql.raw(`${table}_corrections_recorded`)} on ${sql.table(table)} (recorded_at) where supersedes_id is not null`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
