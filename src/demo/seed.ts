import { sql } from 'kysely';
import { lockEvidenceTablesForBulkWrite } from '../db/locks.ts';
import type { Db } from '../db/database.ts';
import { countRows, generateDemoCity, type DemoCity, type DemoCityOptions, type DemoTableName } from './demo-city.ts';

/**
 * Loads the demo city into a database. The demo city only goes into an EMPTY database (no
 * enterprises): seeding refuses otherwise, with DemoSeedRefusedError, rather than mixing invented
 * enterprises into real ones or re-seeding idempotently. (Evidence rows are append-only history,
 * so a half-merged demo could never be taken out again.) Everything goes in one transaction, so a
 * failure leaves the database as empty as it was; the enterprises table is locked for the
 * duration so two concurrent seeders cannot both see it empty.
 */

export type DemoSeedCounts = Record<DemoTableName, number>;

export interface SeedDemoOptions extends DemoCityOptions {
  /** Upper bound on bind parameters per INSERT (PostgreSQL allows 65,535). */
  maxParameters?: number;
}

export class DemoSeedRefusedError extends Error {
  constructor(readonly enterprises: number) {
    super(`the database already holds ${enterprises} enterprise(s); the demo city only goes into an empty database`);
    this.name = 'DemoSeedRefusedError';
  }
}

/** True when no enterprise has been registered. */
export async function isDatabaseEmpty(db: Db): Promise<boolean> {
  const row = await db.selectFrom('enterprises').select('credit_code').limit(1).executeTakeFirst();
  return row === undefined;
}

/** Generates the demo city for `options` and inserts it; returns the rows inserted per table. */
export async function seedDemoCity(db: Db, options: SeedDemoOptions): Promise<DemoSeedCounts> {
  const city = generateDemoCity(options);
  return insertDemoCity(db, city, options.maxParameters);
}

/** Inserts an already generated demo city (see seedDemoCity for the empty-database rule). */
export async function insertDemoCity(db: Db, city: DemoCity, maxParameters = 30_000): Promise<DemoSeedCounts> {
  const t = city.tables;
  await db.transaction().execute(async (trx) => {
    // Every table it fills, like any bulk writer, so a run cannot start in the middle of the seed.
    await lockEvidenceTablesForBulkWrite(trx);
    const existing = await trx
      .selectFrom('enterprises')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(existing.n) > 0) throw new DemoSeedRefusedError(Number(existing.n));

    await chunked(t.enterprises, maxParameters, (rows) => trx.insertInto('enterprises').values(rows).execute());
    await chunked(t.enterprise_revisions, maxParameters, (rows) => trx.insertInto('enterprise_revisions').values(rows).execute());
    await chunked(t.violations, maxParameters, (rows) =>
      trx
        .insertInto('violations')
        .values(rows.map((r) => ({ ...r, measures: textArray(r.measures) })))
        .execute(),
    );
    await chunked(t.emission_records, maxParameters, (rows) => trx.insertInto('emission_records').values(rows).execute());
    await chunked(t.clean_production_audits, maxParameters, (rows) => trx.insertInto('clean_production_audits').values(rows).execute());
    await chunked(t.information_disclosures, maxParameters, (rows) => trx.insertInto('information_disclosures').values(rows).execute());
    await chunked(t.verified_complaints, maxParameters, (rows) => trx.insertInto('verified_complaints').values(rows).execute());
    await chunked(t.permit_execution_reports, maxParameters, (rows) => trx.insertInto('permit_execution_reports').values(rows).execute());
  });
  return countRows(t);
}

/** A text[] literal as one bind parameter: both drivers pass it through unchanged. */
function textArray(values: readonly string[]) {
  return sql<string[]>`${`{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`}::text[]`;
}

async function chunked<T extends object>(rows: readonly T[], maxParameters: number, insert: (rows: T[]) => Promise<unknown>): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!).length;
  const size = Math.max(1, Math.floor(maxParameters / columns));
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}
