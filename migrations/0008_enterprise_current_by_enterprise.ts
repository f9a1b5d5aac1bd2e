import { sql, type Kysely } from 'kysely';

/*
 * enterprise_current, same columns and rows, read one enterprise at a time: each enterprise's
 * latest revision through the (credit_code, revision) index. The first definition (DISTINCT ON over
 * every revision) sorted the whole population for every query, even one asking for the next 500
 * codes after a given one, which a rating run asks once per batch: quadratic in the population.
 * Measured: the next 500 codes of 10k enterprises, 12 ms → 1.4 ms; a full rating run of 100k
 * enterprises waited 37–43 s for its batches with this view and the earlier run pipeline, 2.8 s with
 * neither (docs/PERFORMANCE.md, row b).
 * The credit code comes from `enterprises`, so ranges and ordering on it use that table's key.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace view enterprise_current as
    select
      e.credit_code, r.revision, r.name, r.region, r.industry, r.legal_representative, r.key_discharge_unit,
      r.permit_number, r.registered_on, r.closed_on, e.created_at, r.recorded_at as updated_at
    from enterprises e
    cross join lateral (
      select * from enterprise_revisions latest
      where latest.credit_code = e.credit_code
      order by latest.revision desc
      limit 1
    ) r`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
