/**
 * A run is published only under the rule version in force at its period's end: a draft made under
 * another (before the rule existed, or before a version with an earlier start was loaded) can neither
 * go to publicity nor take effect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginPublicity, publishRun } from '../../src/rating/lifecycle.ts';
import { parsePeriod } from '../../src/rating/period.ts';
import { pinRuleVersion } from '../../src/rating/rule-pins.ts';
import { appendRunEvent, createRun, findRun } from '../../src/rating/run-store.ts';
import { loadRuleRegistry } from '../../src/rules/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const registry = loadRuleRegistry(new URL('../../rules', import.meta.url).pathname);
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
}, 60_000);
afterAll(() => database?.dispose());

/** A DRAFTED run of 2025 as an earlier release could have stored it, under `version`. */
async function draftedRun(version: string): Promise<number> {
  const rules = registry.get('linjiang', version)!;
  await pinRuleVersion(database.db, rules, 'test');
  const period = parsePeriod('2025');
  const runId = await createRun(database.db, {
    ruleSetId: rules.id, ruleVersion: rules.version, ruleHash: rules.contentHash, period: period.label,
    periodStart: period.start, periodEnd: period.end, mode: 'DRAFT', scope: { kind: 'ALL' }, startedBy: 'test',
  });
  await appendRunEvent(database.db, runId, 'DRAFTED', 'test', { rated: 0, levels: {} });
  return runId;
}

describe('a draft under a rule version not in force for its period', () => {
  it('is refused publicity and publication, with what to do', async () => {
    const stale = await draftedRun('2026.1');
    await expect(beginPublicity(database.db, registry, stale, 'admin')).rejects.toMatchObject({
      extensions: { code: 'CONFLICT', field: 'runId', expected: 'a run under linjiang 2025.1' },
    });
    expect((await findRun(database.db, stale))!.status).toBe('DRAFTED');
    // Opened to publicity by an earlier release: it still cannot take effect.
    await appendRunEvent(database.db, stale, 'PUBLICITY', 'admin', { days: 0 });
    await expect(publishRun(database.db, registry, stale, 'admin')).rejects.toMatchObject({ extensions: { code: 'CONFLICT', field: 'runId' } });
    expect((await findRun(database.db, stale))!.status).toBe('PUBLICITY');
  });

  it('under the version in force, goes to publicity', async () => {
    const current = await draftedRun('2025.1');
    await beginPublicity(database.db, registry, current, 'admin');
    expect((await findRun(database.db, current))!.status).toBe('PUBLICITY');
  });
});
