import { sql, type Kysely } from 'kysely';

/*
 * Some discharge limits are a range, not a ceiling: pH 6–9 (GB 8978). An emission record may now carry
 * the range's lower bound, `permitted_minimum`; a value below it exceeds the permit as one above
 * `permitted_limit` does (the engine's `exceeded`, src/rules/fields.ts). Rows stored before this
 * migration have no minimum and keep every value they had.
 *
 * pH is logarithmic, so (measured − limit) / limit says nothing about how far a pH lies outside its
 * range: `exceedance_ratio` is now null for a pH record given a range, as it is for noise. PostgreSQL
 * 15 cannot change a generated column's expression in place (SET EXPRESSION is 17), so the column is
 * dropped and added again in one statement (one rewrite of the table; a rewrite fires no row trigger,
 * so the history triggers do not object). For every row without a minimum the new expression is the
 * old one, so stored records read back, and fingerprint, exactly as before.
 *
 * The bounds' order and "no minimum for noise" hold for every row. A pH row must have both bounds and
 * lie on the 0–14 scale, whoever writes it (input is checked first, src/evidence/evidence-rules.ts,
 * with the field named): the check is NOT VALID, so the pH rows stored with one bound stay as they
 * are, and it spares withdrawals (`revoked`), which copy the record they withdraw verbatim, so a pH
 * record stored with one bound can still be withdrawn.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table emission_records
      add column permitted_minimum numeric,
      add constraint emission_records_minimum_below_limit check (permitted_minimum >= 0 and permitted_minimum < permitted_limit),
      add constraint emission_records_no_minimum_for_noise check (permitted_minimum is null or unit <> 'dB(A)')`.execute(db);
  await sql`
    alter table emission_records
      add constraint emission_records_ph_range check (
        unit <> 'pH' or revoked or (permitted_minimum is not null and permitted_limit <= 14 and measured_value <= 14)) not valid`.execute(db);
  await sql`
    alter table emission_records
      drop column exceedance_ratio,
      add column exceedance_ratio numeric generated always as (
        case when unit <> 'dB(A)' and not (unit = 'pH' and permitted_minimum is not null)
          then round((measured_value - permitted_limit) / permitted_limit, 6) end) stored`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
