/** A run walks its scope in batches read from pages of codes (src/rating/runner.ts scopeBatches). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { scopeBatches } from '../../src/rating/runner.ts';
import type { RunScope } from '../../src/rating/run-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoCity(database.db, { seed: 8, enterprises: 60 });
}, 60_000);
afterAll(() => database?.dispose());

async function walk(scope: RunScope, batchSize: number, batchesPerPage: number): Promise<string[][]> {
  const batches: string[][] = [];
  for await (const batch of scopeBatches(database.db, scope, batchSize, batchesPerPage)) batches.push(batch);
  return batches;
}

async function codesIn(region?: string): Promise<string[]> {
  let query = database.db.selectFrom('enterprise_current').select('credit_code').orderBy('credit_code');
  if (region) query = query.where('region', '=', region);
  return (await query.execute()).map((r) => r.credit_code.trim());
}

describe('scope batches', () => {
  it('give every code of the scope once, in order, across page boundaries', async () => {
    const all = await codesIn();
    expect(all).toHaveLength(60);
    // Pages of 21 codes: 60 = 21 + 21 + 18, so pages end inside and at the end of batches.
    for (const [batchSize, perPage] of [[7, 3], [5, 4], [60, 1], [61, 1], [1, 1]] as const) {
      const batches = await walk({ kind: 'ALL' }, batchSize, perPage);
      expect(batches.flat(), `${batchSize}×${perPage}`).toEqual(all);
      expect(batches.every((b) => b.length > 0 && b.length <= batchSize)).toBe(true);
    }
  });

  it('keep to the scope: one township, a list of codes, nothing', async () => {
    const [{ region }] = await database.db.selectFrom('enterprise_current').select('region').groupBy('region').orderBy(({ fn }) => fn.countAll(), 'desc').limit(1).execute() as [{ region: string }];
    const township = await codesIn(region);
    expect(township.length).toBeGreaterThan(3);
    expect((await walk({ kind: 'REGION', region }, 2, 2)).flat()).toEqual(township);
    const some = township.slice(1, 4);
    expect((await walk({ kind: 'CODES', codes: [...some].reverse() }, 2, 1)).flat()).toEqual(some);
    expect(await walk({ kind: 'REGION', region: 'nowhere' }, 2, 2)).toEqual([]);
  });
});
