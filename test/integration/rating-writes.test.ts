/**
 * How a run appends its ratings: COPY on PostgreSQL (src/rating/run-store.ts copyRatingsInto),
 * INSERT on PGlite. Both must store the same bytes, and a batch lands whole or not at all.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { createLogger } from '../../src/logger.ts';
import { parsePeriod } from '../../src/rating/period.ts';
import { copyRatingsInto, createRun, findRun, insertRatings, type NewRating } from '../../src/rating/run-store.ts';
import { RunTracker, startRatingRun } from '../../src/rating/runner.ts';
import { loadRuleRegistry } from '../../src/rules/index.ts';
import { countExistingDuring, createTestDatabase, type TestDatabase } from '../support/db.ts';

const registry = loadRuleRegistry(new URL('../../rules', import.meta.url).pathname);
const ruleSet = registry.get('linjiang', '2025.1')!;
const period = parsePeriod('2025');
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoCity(database.db, { seed: 5, enterprises: 120 });
}, 60_000);
afterAll(() => database?.dispose());

const STORED = ['credit_code', 'score', 'level', 'vetoes', 'result', 'result_hash', 'evidence_fingerprint', 'evidence_known_at', 'supersedes_id'] as const;
const storedRows = (runId: number) => database.db.selectFrom('ratings').select([...STORED]).where('run_id', '=', runId).orderBy('credit_code').execute();

async function newRun(): Promise<number> {
  return createRun(database.db, {
    ruleSetId: ruleSet.id, ruleVersion: ruleSet.version, ruleHash: ruleSet.contentHash, period: period.label,
    periodStart: period.start, periodEnd: period.end, mode: 'SIMULATION', scope: { kind: 'ALL' }, startedBy: 'test',
  });
}

describe.skipIf(!process.env.DATABASE_URL)('a run appending its ratings with COPY', () => {
  it('stores what INSERT stores, for a whole run, with the same input fingerprint', async () => {
    const logger = createLogger({ logLevel: 'silent' });
    const runWith = async (tracker: RunTracker) => {
      const runId = await startRatingRun(
        { db: database.db, rules: registry, tracker, logger },
        { ruleSetId: ruleSet.id, version: ruleSet.version, period, scope: { kind: 'ALL' }, mode: 'SIMULATION', actor: 'test' },
      );
      await tracker.completion(runId);
      const rows = await storedRows(runId);
      return { run: (await findRun(database.db, runId))!, rows: rows.map(({ evidence_known_at: _, ...row }) => row) };
    };
    const inserted = await runWith(new RunTracker());
    const copied = await runWith(new RunTracker({ pool: database.pool! }));
    expect(copied.run.status).toBe('DRAFTED');
    expect(copied.rows).toHaveLength(await countExistingDuring(database.db, period));
    expect(copied.rows).toEqual(inserted.rows);
    expect((copied.run.status_detail as { inputFingerprint: string }).inputFingerprint).toBe((inserted.run.status_detail as { inputFingerprint: string }).inputFingerprint);
    expect(new Set(copied.rows.map((r) => r.level)).size).toBeGreaterThan(1);
    // Results are compressed with lz4 on a server built with it (migration 0014), as PostgreSQL 15 here is.
    const compression = await sql<{ method: string | null; n: string }>`
      select pg_column_compression(result) as method, count(*) as n from ratings where run_id = ${copied.run.id} group by 1`.execute(database.db);
    expect(compression.rows.map((r) => r.method)).toEqual(['lz4']);
  });

  it('keeps every character COPY treats specially: tabs, newlines, backslashes, quotes in arrays', async () => {
    const codes = (await database.db.selectFrom('enterprises').select('credit_code').orderBy('credit_code').limit(2).execute()).map((r) => r.credit_code.trim());
    const knownAt = new Date('2026-01-02T03:04:05.678Z');
    const odd = (runId: number, code: string): NewRating => ({
      runId, creditCode: code, score: 87.25, level: 'BLUE', vetoes: ['V1', 'with "quote", comma\\and\tslash', '{braces}'],
      result: '{"note":"tab\there\nnewline\r\\N backslash \\\\ 中文 \u0001"}', resultHash: 'sha256:x\\y', evidenceFingerprint: 'sha256:fp', evidenceKnownAt: knownAt,
    });
    const viaCopy = await newRun();
    const viaBytes = await newRun();
    const viaInsert = await newRun();
    await copyRatingsInto(database.pool!)(database.db, codes.map((code) => odd(viaCopy, code)));
    // As a run sends them: the result also as the UTF-8 bytes rateEnterprise hashed (escaped all the same).
    await copyRatingsInto(database.pool!)(database.db, codes.map((code) => ({ ...odd(viaBytes, code), resultBytes: Buffer.from(odd(0, '').result) })));
    await insertRatings(database.db, codes.map((code) => odd(viaInsert, code)));
    const copied = await storedRows(viaCopy);
    expect(copied).toEqual(await storedRows(viaInsert));
    expect(await storedRows(viaBytes)).toEqual(copied);
    // And a result with nothing to escape, sent as the very bytes given: Chinese, quotes, U+2028.
    const plain = { result: '{"title":"临江市“绿色”企业\u2028","score":87.25}', resultHash: 'sha256:plain' };
    const viaPlainBytes = await newRun();
    const viaPlainInsert = await newRun();
    await copyRatingsInto(database.pool!)(database.db, codes.map((code) => ({ ...odd(viaPlainBytes, code), ...plain, resultBytes: Buffer.from(plain.result) })));
    await insertRatings(database.db, codes.map((code) => ({ ...odd(viaPlainInsert, code), ...plain })));
    const plainRows = await storedRows(viaPlainBytes);
    expect(plainRows).toEqual(await storedRows(viaPlainInsert));
    expect(plainRows[0]!.result).toBe(plain.result);
    expect(copied[0]).toMatchObject({ vetoes: odd(0, '').vetoes, result: odd(0, '').result, score: '87.25', evidence_known_at: knownAt, supersedes_id: null });
  });

  it('writes nothing of a batch with one row the database refuses', async () => {
    const runId = await newRun();
    const [code] = (await database.db.selectFrom('enterprises').select('credit_code').limit(1).execute()).map((r) => r.credit_code.trim());
    const row = (creditCode: string): NewRating => ({ runId, creditCode, score: 90, level: 'BLUE', vetoes: [], result: '{}', resultHash: 'h', evidenceFingerprint: 'f', evidenceKnownAt: new Date() });
    await expect(copyRatingsInto(database.pool!)(database.db, [row(code!), row('91220681MA0000000X')])).rejects.toThrow(/foreign key/);
    expect(await storedRows(runId)).toEqual([]);
  });
});
