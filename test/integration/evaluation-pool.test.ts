/**
 * Rating in worker threads (RATING_WORKERS, src/rating/evaluation-pool.ts): the rows a worker
 * produces are byte for byte the main thread's, a run through the pool stores the same ratings and
 * input fingerprint as a run without it, and a worker's failure fails the batch (and the run) with
 * a message instead of hanging it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { loadEvidenceSets } from '../../src/evidence/evidence-set.ts';
import { createLogger } from '../../src/logger.ts';
import { EvaluationPool, inlineEvaluator } from '../../src/rating/evaluation-pool.ts';
import { parsePeriod } from '../../src/rating/period.ts';
import { findRun } from '../../src/rating/run-store.ts';
import { RunTracker, startRatingRun } from '../../src/rating/runner.ts';
import { loadRuleRegistry, type RuleFile } from '../../src/rules/index.ts';
import { countExistingDuring, createTestDatabase, type TestDatabase } from '../support/db.ts';

const registry = loadRuleRegistry(new URL('../../rules', import.meta.url).pathname);
const ruleSet = registry.get('linjiang', '2025.1')!;
const period = parsePeriod('2025');
let database: TestDatabase;
let pool: EvaluationPool;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoCity(database.db, { seed: 11, enterprises: 300 });
  pool = new EvaluationPool(2);
}, 60_000);
afterAll(async () => {
  await pool?.close();
  await database?.dispose();
});

async function allSets() {
  const codes = (await database.db.selectFrom('enterprises').select('credit_code').orderBy('credit_code').execute()).map((r) => r.credit_code.trim());
  return [...(await loadEvidenceSets(database.db, codes)).values()];
}

describe('rating worker threads', () => {
  it('produce exactly the rows the main thread produces', async () => {
    const sets = await allSets();
    const inline = await inlineEvaluator.rate(ruleSet, sets, period);
    const halves = await Promise.all([pool.rate(ruleSet, sets.slice(0, 150), period), pool.rate(ruleSet, sets.slice(150), period)]);
    const pooled = halves.flatMap((h) => h.rows);
    expect(pooled).toHaveLength(sets.length);
    expect(pooled).toEqual(inline.rows);
    expect(new Set(inline.rows.map((r) => r.level)).size).toBeGreaterThan(1); // a population, not one case
  });

  it('a run through the pool stores the same ratings and fingerprint as a run without it', async () => {
    const logger = createLogger({ logLevel: 'silent' });
    const runWith = async (tracker: RunTracker) => {
      const runId = await startRatingRun(
        { db: database.db, rules: registry, tracker, logger },
        { ruleSetId: 'linjiang', version: '2025.1', period, scope: { kind: 'ALL' }, mode: 'SIMULATION', actor: 'test' },
      );
      await tracker.completion(runId);
      const run = (await findRun(database.db, runId))!;
      const ratings = await database.db.selectFrom('ratings').select(['credit_code', 'result', 'result_hash', 'evidence_fingerprint']).where('run_id', '=', runId).orderBy('credit_code').execute();
      return { run, ratings };
    };
    const inline = await runWith(new RunTracker());
    const pooled = await runWith(new RunTracker({ evaluator: pool }));
    expect(pooled.run.status).toBe('DRAFTED');
    expect(pooled.run.status_detail).toMatchObject({ rated: await countExistingDuring(database.db, period), inputFingerprint: (inline.run.status_detail as { inputFingerprint: string }).inputFingerprint });
    expect(pooled.ratings).toEqual(inline.ratings);
  });

  it('fail the batch, with the reason, when a rule file does not compile in the worker', async () => {
    const broken = { ...ruleSet, contentHash: 'sha256:broken', file: { ...ruleSet.file, windows: { PERIOD: { bogus: true } } } as unknown as RuleFile };
    const failure = await pool.rate(broken, (await allSets()).slice(0, 3), period).then(() => null, (e: Error) => e.message);
    expect(failure).toMatch(/^rule file linjiang@2025\.1 does not compile in the worker: .*window/);
    // The pool goes on working.
    expect((await pool.rate(ruleSet, (await allSets()).slice(0, 3), period)).rows).toHaveLength(3);
  });

  it('fail the batches a dying worker held, and replace it', async () => {
    const lone = new EvaluationPool(1);
    try {
      const sets = await allSets();
      await lone.rate(ruleSet, sets.slice(0, 1), period); // the worker is up
      const pending = lone.rate(ruleSet, sets, period);
      const workers = (lone as unknown as { workers: ({ worker: { terminate(): Promise<number> } } | undefined)[] }).workers;
      await workers[0]!.worker.terminate();
      await expect(pending).rejects.toThrow(/rating worker stopped/);
      expect((await lone.rate(ruleSet, sets.slice(0, 5), period)).rows).toHaveLength(5);
    } finally {
      await lone.close();
    }
    await expect(lone.rate(ruleSet, [], period)).rejects.toThrow(/closed/);
  });
});
