import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { beginPublicity } from '../../src/rating/lifecycle.ts';
import { parsePeriod } from '../../src/rating/period.ts';
import { rateEnterprise, failInterruptedRuns, RunTracker, startRatingRun } from '../../src/rating/runner.ts';
import type { RunLeases } from '../../src/rating/run-leases.ts';
import { createLogger } from '../../src/logger.ts';
import { createRun, findRun, insertRatings, scopeCodes } from '../../src/rating/run-store.ts';
import { pinRuleVersion } from '../../src/rating/rule-pins.ts';
import { loadEvidenceSets } from '../../src/evidence/evidence-set.ts';
import { loadRuleRegistry } from '../../src/rules/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let database: TestDatabase;
const rules = loadRuleRegistry(new URL('../../rules', import.meta.url).pathname);

beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoCity(database.db, { seed: 3, enterprises: 60 });
}, 60_000);
afterAll(() => database?.dispose());

describe('a rating run killed mid-way', () => {
  it('is marked FAILED at the next start-up, and its partial ratings can never be published', async () => {
    const { db } = database;
    const ruleSet = rules.get('linjiang', '2025.1')!;
    await pinRuleVersion(db, ruleSet, 'test');
    const period = parsePeriod('2025');
    const runId = await createRun(db, {
      ruleSetId: ruleSet.id, ruleVersion: ruleSet.version, ruleHash: ruleSet.contentHash, period: period.label,
      periodStart: period.start, periodEnd: period.end, mode: 'DRAFT', scope: { kind: 'ALL' }, startedBy: 'test',
    });
    // The process wrote one batch of 20 out of 60, then died: no DRAFTED event, no tracker.
    const codes = await scopeCodes(db, { kind: 'ALL' }, null, 20);
    const sets = await loadEvidenceSets(db, codes);
    const knownAt = new Date();
    await insertRatings(db, codes.map((code) => ({ ...rateEnterprise(ruleSet, sets.get(code)!, period).row, runId, evidenceKnownAt: knownAt })));
    expect((await findRun(db, runId))!.status).toBe('RUNNING');

    const failed = await failInterruptedRuns(db, new RunTracker());
    expect(failed).toEqual([runId]);
    const run = (await findRun(db, runId))!;
    expect(run.status).toBe('FAILED');
    expect(run.status_detail).toMatchObject({ error: expect.stringMatching(/interrupted/) });
    await expect(beginPublicity(db, rules, runId, 'admin')).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(await db.selectFrom('rating_effects').selectAll().execute()).toEqual([]);
  });

  it('a run that cannot take its lease writes no rating and ends FAILED, saying why', async () => {
    const leases = { hold: async () => Promise.reject(new Error('connection refused')), isHeldElsewhere: async () => false } as unknown as RunLeases;
    const tracker = new RunTracker({ leases });
    const runId = await startRatingRun(
      { db: database.db, rules, tracker, logger: createLogger({ logLevel: 'silent' }) },
      { ruleSetId: 'linjiang', version: '2025.1', period: parsePeriod('2025'), scope: { kind: 'ALL' }, mode: 'SIMULATION', actor: 'test' },
    );
    await tracker.completion(runId).catch(() => {});
    const run = (await findRun(database.db, runId))!;
    expect(run.status).toBe('FAILED');
    expect(run.status_detail).toMatchObject({ error: 'the run could not take its lease: connection refused', rated: 0 });
    expect(await database.db.selectFrom('ratings').select('id').where('run_id', '=', runId).execute()).toEqual([]);
  });

  it('leaves a run this process is still executing alone', async () => {
    const tracker = new RunTracker();
    const ruleSet = rules.get('linjiang', '2025.1')!;
    const period = parsePeriod('2025');
    const runId = await createRun(database.db, {
      ruleSetId: ruleSet.id, ruleVersion: ruleSet.version, ruleHash: ruleSet.contentHash, period: period.label,
      periodStart: period.start, periodEnd: period.end, mode: 'SIMULATION', scope: { kind: 'ALL' }, startedBy: 'test',
    });
    let release!: () => void;
    const running = tracker.track(runId, 1, () => new Promise<void>((resolve) => (release = resolve)));
    expect(await failInterruptedRuns(database.db, tracker)).toEqual([]);
    release();
    await running;
  });
});
