import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, DEMO_TABLES, generateDemoCity } from '../../src/demo/demo-city.ts';
import { DemoSeedRefusedError, isDatabaseEmpty, seedDemoCity } from '../../src/demo/seed.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const SEED = 220681;

describe('seeding the demo city', () => {
  let t: TestDatabase;
  let counts: Awaited<ReturnType<typeof seedDemoCity>>;
  let ms = 0;

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('starts from an empty database', async () => {
    expect(await isDatabaseEmpty(t.db)).toBe(true);
  });

  it('inserts the whole city in one go, quickly', async () => {
    const started = performance.now();
    counts = await seedDemoCity(t.db, { seed: SEED });
    ms = performance.now() - started;
    console.info(`demo city seeded on ${t.kind} in ${Math.round(ms)} ms`, counts);
    expect(ms).toBeLessThan(20_000);
    expect(await isDatabaseEmpty(t.db)).toBe(false);
  });

  it('stores exactly the rows the generator produces', async () => {
    const expected = countRows(generateDemoCity({ seed: SEED }).tables);
    expect(counts).toEqual(expected);
    for (const table of DEMO_TABLES) {
      const row = await t.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(row.n), table).toBe(expected[table]);
    }
    const current = await t.db
      .selectFrom('enterprise_current')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(current.n)).toBe(expected.enterprises);
  });

  it('keeps every row attributable to the demo and readable as typed values', async () => {
    const other = await sql<{ n: string }>`
      select count(*) as n from (
        select source, recorded_by from violations union all
        select source, recorded_by from emission_records union all
        select source, recorded_by from permit_execution_reports union all
        select source, recorded_by from enterprise_revisions
      ) x where source <> 'demo-city' or recorded_by <> 'seed-demo'`.execute(t.db);
    expect(Number(other.rows[0]!.n)).toBe(0);

    const severe = await t.db
      .selectFrom('violations')
      .select(['decision_number', 'measures', 'fine_cny', 'decided_on'])
      .where(sql<boolean>`'CRIMINAL_REFERRAL' = any(measures)`)
      .execute();
    expect(severe.length).toBeGreaterThan(0);
    expect(severe[0]!.measures).toContain('CRIMINAL_REFERRAL');
    expect(severe[0]!.decision_number).toMatch(/^临环罚〔20\d\d〕\d+号$/);
    expect(severe[0]!.decided_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    // The database derives the exceedance; some supervisory samples exceed, most records do not.
    const ex = await sql<{ over: string; total: string }>`
      select count(*) filter (where exceedance_ratio > 0 or exceedance_db > 0) as over, count(*) as total
      from emission_records`.execute(t.db);
    const over = Number(ex.rows[0]!.over);
    expect(over).toBeGreaterThan(0);
    expect(over / Number(ex.rows[0]!.total)).toBeLessThan(0.05);
  });

  it('refuses a second seed and leaves the database as it was', async () => {
    await expect(seedDemoCity(t.db, { seed: SEED })).rejects.toBeInstanceOf(DemoSeedRefusedError);
    await expect(seedDemoCity(t.db, { seed: SEED + 1, enterprises: 10 })).rejects.toThrow(/only goes into an empty database/);
    const row = await t.db
      .selectFrom('violations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(row.n)).toBe(counts.violations);
    const e = await t.db
      .selectFrom('enterprises')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(e.n)).toBe(counts.enterprises);
  });
});
