import { sql, type Kysely } from 'kysely';

/*
 * "Does a later row supersede this one?" is asked for every evidence row a rating reads. Almost no
 * row is ever superseded, so a partial index over the few that are keeps that anti-join tiny instead
 * of hashing the whole table per batch (measured: 10k enterprises x 20 records, ~0.5 s per batch of
 * 500 before, a few ms for the anti-join after).
 */
const EVIDENCE_TABLES = [
  'violations',
  'emission_records',
  'clean_production_audits',
  'information_disclosures',
  'verified_complaints',
  'permit_execution_reports',
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of EVIDENCE_TABLES) {
    await sql`create index ${sql.raw(`${table}_superseded`)} on ${sql.table(table)} (supersedes_id) where supersedes_id is not null`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
