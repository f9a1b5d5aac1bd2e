import { sql, type Kysely } from 'kysely';

/*
 * A rating put into effect because evidence it rested on was withdrawn (a penalty annulled on
 * administrative review): cause CORRECTION, next to PUBLICATION and DYNAMIC_ADJUSTMENT
 * (src/rating/correction.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table rating_effects drop constraint rating_effects_cause_check`.execute(db);
  await sql`alter table rating_effects add constraint rating_effects_cause_check check (cause in ('PUBLICATION', 'DYNAMIC_ADJUSTMENT', 'CORRECTION'))`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
