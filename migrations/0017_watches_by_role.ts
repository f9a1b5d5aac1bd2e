import { sql, type Kysely } from 'kysely';

/*
 * An institution is its role and its org together (docs/SECURITY.md, Tokens): a bank and an insurer
 * of one financial group may carry the same org, and keyed on the org alone they shared one watch
 * list. The role is added to the key; existing rows take it from the role prefix of watched_by
 * (`role:org:subject`, src/auth/principal.ts actorName).
 *
 * Rows written by a token without an org are deleted: their institution_org is that token's subject
 * standing in for an org (watched_by is then exactly `role:institution_org`), so they would land on
 * the list of whichever institution has an org of that name. Such tokens are refused now; nobody owns
 * those rows.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`delete from watches where watched_by = split_part(watched_by, ':', 1) || ':' || institution_org`.execute(db);
  await sql`alter table watches add column institution_role text`.execute(db);
  await sql`update watches set institution_role = split_part(watched_by, ':', 1)`.execute(db);
  await sql`alter table watches alter column institution_role set not null`.execute(db);
  await sql`alter table watches add constraint watches_institution_role check (institution_role in ('bank', 'insurer', 'finance'))`.execute(db);
  await sql`alter table watches drop constraint watches_pk`.execute(db);
  await sql`alter table watches add constraint watches_pk primary key (institution_role, institution_org, credit_code)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
