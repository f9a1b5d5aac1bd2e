import { sql, type Kysely } from 'kysely';

/*
 * A rating's result (≈5 KB of canonical JSON) is compressed when stored. lz4 writes it in about two
 * thirds of pglz's time (10,000 results into `ratings`: 420–500 ms against 630–810 ms, psql, rolled
 * back) and reads it back faster, for ≈6 % more bytes. Only new rows change: stored ones are never
 * rewritten. PGlite is built without lz4 (0A000, feature_not_supported) and keeps pglz.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    do $$
    begin
      alter table ratings alter column result set compression lz4;
    exception when feature_not_supported then
      null;
    end $$`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('envcredit migrations are forward-only');
}
