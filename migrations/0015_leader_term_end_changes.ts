import { sql, type Kysely } from 'kysely';

/*
 * A leader's term ends by itself, with no register event (src/registers/derive.ts), yet it changes
 * what a lookup answers. The watch feed records it as a change of its own (source_table
 * 'leader_terms', source_id the LISTED or EXTENDED event whose term ended), written once whoever
 * notices first (src/lookups/watch-store.ts, recordEndedLeaderTerms).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create unique index credit_changes_leader_term_end on credit_changes (source_id) where source_table = 'leader_terms'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
